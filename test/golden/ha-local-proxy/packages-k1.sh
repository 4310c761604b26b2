#!/bin/sh
# Rendered by hakube: install missing packages for this host's roles.
set -eu
APT=""
DNF=""
command -v kubeadm >/dev/null 2>&1 || { APT="$APT kubeadm"; DNF="$DNF kubeadm"; }
command -v kubelet >/dev/null 2>&1 || { APT="$APT kubelet"; DNF="$DNF kubelet"; }
command -v kubectl >/dev/null 2>&1 || { APT="$APT kubectl"; DNF="$DNF kubectl"; }
command -v etcd >/dev/null 2>&1 || { APT="$APT etcd-server"; DNF="$DNF etcd"; }
command -v etcdctl >/dev/null 2>&1 || { APT="$APT etcd-client"; DNF="$DNF etcd"; }
command -v nginx >/dev/null 2>&1 || { APT="$APT nginx libnginx-mod-stream"; DNF="$DNF nginx nginx-mod-stream"; }
[ -z "$APT$DNF" ] && { echo "packages: all present"; exit 0; }
K8S_REPO='https://pkgs.k8s.io/core:/stable:/v1.34'
if command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    case "$APT" in *kube*)
        if ! apt-cache show kubeadm >/dev/null 2>&1; then
            mkdir -p /etc/apt/keyrings
            curl -fsSL "$K8S_REPO/deb/Release.key" | gpg --dearmor --yes -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg
            echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] $K8S_REPO/deb/ /" > /etc/apt/sources.list.d/kubernetes.list
            apt-get update -q
        fi ;;
    esac
    # shellcheck disable=SC2086
    apt-get install -y -q $APT
elif command -v dnf >/dev/null 2>&1; then
    case "$DNF" in *kube*)
        if ! dnf -q list kubeadm >/dev/null 2>&1; then
            printf '[kubernetes]\nname=Kubernetes\nbaseurl=%s/rpm/\nenabled=1\ngpgcheck=1\ngpgkey=%s/rpm/repodata/repomd.xml.key\n' "$K8S_REPO" "$K8S_REPO" > /etc/yum.repos.d/kubernetes.repo
        fi ;;
    esac
    # shellcheck disable=SC2086
    dnf install -y $DNF
else
    echo "missing:$APT and neither apt-get nor dnf is available; install them by hand" >&2
    exit 1
fi
