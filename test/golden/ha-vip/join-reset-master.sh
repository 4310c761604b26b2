#!/bin/sh
# Rendered by hakube: clean up after a failed kubeadm join on this host.
set -u
rm -rf /etc/kubernetes/pki /var/lib/kubelet '/var/lib/etcd'
rm -f /etc/kubernetes/*.conf /root/.kube/config
rm -f /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/manifests/kube-controller-manager.yaml /etc/kubernetes/manifests/kube-scheduler.yaml
exit 0
