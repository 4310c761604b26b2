#!/usr/bin/env bash
# Builds the lab's simulators (lab/sim, one multi-call Go binary) into .tools/lab-bin/ under each
# name it answers to, next to the real kubeadm as kubeadm.real. The lab bind-mounts that folder at
# /usr/local/bin in every host. Skips the build when sources and kubeadm are unchanged.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="/usr/local/go/bin:$PATH"
src="$root/lab/sim"
out="$root/.tools/lab-bin"
names=(systemctl kubelet kube-apiserver kubeadm kubectl modprobe sysctl swapoff swapon containerd apt-get dnf yum lab-boot labkube-fault journalctl hostnamectl)
mkdir -p "$out"
real="$root/.tools/bin/kubeadm"
stamp=$( (cd "$src" && cat go.mod go.sum ./*.go; [ -f "$real" ] && stat -c '%s %Y' "$real") | sha256sum | cut -c1-16)
if [ -x "$out/labkube" ] && [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi
(cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/labkube.new" .)
mv -f "$out/labkube.new" "$out/labkube"
for n in "${names[@]}"; do ln -sfn labkube "$out/$n"; done
if [ -f "$real" ]; then
  # a copy, not a link: .tools/bin is not visible inside lab hosts at a stable path
  cp -f "$real" "$out/kubeadm.real.new" && mv -f "$out/kubeadm.real.new" "$out/kubeadm.real"
else
  echo "build-labsim: $real is missing (run scripts/build-kubeadm.sh); kubeadm will not work in lab hosts" >&2
fi
echo "$stamp" > "$out/.stamp"
