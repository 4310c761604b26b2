#!/bin/sh
# Rendered by hakube: clean up after a failed kubeadm join on this host.
set -u
rm -rf /etc/kubernetes/pki /var/lib/kubelet
rm -f /etc/kubernetes/*.conf /root/.kube/config
exit 0
