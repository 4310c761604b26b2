#!/bin/sh
# Rendered by hakube: remove m2's stacked etcd member, if there is one.
set -eu
export ETCDCTL_API=3
e() { etcdctl --endpoints https://127.0.0.1:2379 --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/healthcheck-client.crt --key /etc/kubernetes/pki/etcd/healthcheck-client.key --command-timeout 10s "$@"; }
NAME='m2'
PEER='https://10.30.12.204:2380'
e member list | while IFS=', ' read -r id status name peers rest; do
    if [ "$name" = "$NAME" ] || [ "$peers" = "$PEER" ]; then
        echo "removing etcd member $id ($name $peers, $status)"
        e member remove "$id"
    fi
done
e member list
