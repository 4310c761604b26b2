#!/usr/bin/env bash
# Builds the lab's simulators (lab/sim, one multi-call Go binary) into .tools/lab-bin/ under each
# name it answers to, next to the real Kubernetes binaries from .tools/bin: kubeadm and kubectl as
# kubeadm.real and kubectl.real (behind the simulator's logging entry points), kube-apiserver,
# kube-controller-manager and kube-scheduler under their own names (the kubelet stand-in runs them
# from the static pod manifests). The lab bind-mounts that folder at /usr/local/bin in every host.
# Skips the build when sources and binaries are unchanged.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="/usr/local/go/bin:$PATH"
src="$root/lab/sim"
out="$root/.tools/lab-bin"
names=(systemctl kubelet kubeadm kubectl modprobe sysctl swapoff swapon containerd apt-get dnf yum lab-boot labkube-fault journalctl hostnamectl)
mkdir -p "$out"
bin="$root/.tools/bin"
# name in .tools/bin -> name in lab-bin
declare -A real=([kubeadm]=kubeadm.real [kubectl]=kubectl.real [kube-apiserver]=kube-apiserver
  [kube-controller-manager]=kube-controller-manager [kube-scheduler]=kube-scheduler)
stamp=$( (cd "$src" && cat go.mod go.sum ./*.go; for b in "${!real[@]}"; do [ -f "$bin/$b" ] && stat -c '%n %s %Y' "$bin/$b"; done) | sha256sum | cut -c1-16)
if [ -x "$out/labkube" ] && [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi
(cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/labkube.new" .)
mv -f "$out/labkube.new" "$out/labkube"
for n in "${names[@]}"; do ln -sfn labkube "$out/$n"; done
rm -f "$out/kube-apiserver" # once a simulator link
for b in "${!real[@]}"; do
  if [ -f "$bin/$b" ] && [ "$bin/$b" -ef "$out/${real[$b]}" ]; then
    : # already this very file (a hard link from an earlier run)
  elif [ -f "$bin/$b" ]; then
    # a hard link or copy, not a symlink: .tools/bin is not visible inside lab hosts at a stable path
    rm -f "$out/${real[$b]}.new"
    ln "$bin/$b" "$out/${real[$b]}.new" 2>/dev/null || cp -f "$bin/$b" "$out/${real[$b]}.new"
    mv -f "$out/${real[$b]}.new" "$out/${real[$b]}"
  else
    echo "build-labsim: $bin/$b is missing (run scripts/build-kubernetes.sh); $b will not work in lab hosts" >&2
  fi
done
echo "$stamp" > "$out/.stamp"
