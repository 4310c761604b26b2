#!/bin/sh
# Rendered by hakube: the kubeadm drop-in for kubelet when the package did not ship one, then enable kubelet.
set -eu
for d in /etc/systemd/system/kubelet.service.d /usr/lib/systemd/system/kubelet.service.d /lib/systemd/system/kubelet.service.d; do
    if ls "$d"/*kubeadm*.conf >/dev/null 2>&1; then found=1; fi
done
if [ -z "${found:-}" ]; then
    KUBELET=$(command -v kubelet)
    mkdir -p /etc/systemd/system/kubelet.service.d
    cat > /etc/systemd/system/kubelet.service.d/10-kubeadm.conf <<DROPIN
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=$KUBELET \$KUBELET_KUBECONFIG_ARGS \$KUBELET_CONFIG_ARGS \$KUBELET_KUBEADM_ARGS \$KUBELET_EXTRA_ARGS
DROPIN
    systemctl daemon-reload
fi
systemctl enable --now kubelet
