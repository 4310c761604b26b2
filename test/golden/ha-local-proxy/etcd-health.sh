#!/bin/sh
# Rendered by hakube: etcd health of cluster ha-local-proxy; waits up to ~2 minutes for quorum.
export ETCDCTL_API=3
run() { etcdctl --endpoints 'https://172.16.10.21:2379,https://172.16.10.22:2379,https://172.16.10.23:2379' --cacert '/etc/etcd/pki/ca.crt' --cert '/etc/etcd/pki/apiserver-etcd-client.crt' --key '/etc/etcd/pki/apiserver-etcd-client.key' --command-timeout 10s "$@"; }
i=0
until run endpoint health; do
    i=$((i + 1))
    if [ "$i" -ge 60 ]; then echo "etcd is not healthy" >&2; exit 1; fi
    sleep 2
done
run member list -w table
# Which member leads: the verify summary names it.
run endpoint status -w table || true
