#!/bin/sh
# Rendered by hakube: etcd health of cluster ha-vip; waits up to ~2 minutes for quorum.
export ETCDCTL_API=3
run() { etcdctl --endpoints 'https://10.30.12.203:2379,https://10.30.12.204:2379,https://10.30.12.205:2379' --cacert '/etc/kubernetes/pki/etcd/ca.crt' --cert '/etc/kubernetes/pki/apiserver-etcd-client.crt' --key '/etc/kubernetes/pki/apiserver-etcd-client.key' --command-timeout 10s "$@"; }
i=0
until run endpoint health; do
    i=$((i + 1))
    if [ "$i" -ge 60 ]; then echo "etcd is not healthy" >&2; exit 1; fi
    sleep 2
done
run member list -w table
# Which member leads: the verify summary names it.
run endpoint status -w table || true
