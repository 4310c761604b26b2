#!/bin/sh
# Rendered by hakube: the test deployment and service on ha-local-proxy; removed again after.
set -e
trap 'kubectl --kubeconfig /etc/kubernetes/admin.conf delete -f /etc/hakube/verify-workload.yaml --ignore-not-found >/dev/null 2>&1' EXIT
kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f /etc/hakube/verify-workload.yaml
kubectl --kubeconfig /etc/kubernetes/admin.conf get deployment hakube-verify
kubectl --kubeconfig /etc/kubernetes/admin.conf get service hakube-verify
