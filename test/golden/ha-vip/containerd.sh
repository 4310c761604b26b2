#!/bin/sh
# Rendered by hakube: containerd with the systemd cgroup driver (kubelet and runtime must agree).
set -eu
command -v containerd >/dev/null 2>&1 || { echo "containerd is not installed; install it (e.g. apt-get install containerd) and rerun" >&2; exit 1; }
CFG=/etc/containerd/config.toml
changed=0
if [ ! -s "$CFG" ]; then
    mkdir -p /etc/containerd
    containerd config default > "$CFG"
    changed=1
fi
if grep -q 'SystemdCgroup = false' "$CFG"; then
    sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' "$CFG"
    changed=1
fi
systemctl enable --now containerd
if [ "$changed" = 1 ]; then systemctl restart containerd; fi
