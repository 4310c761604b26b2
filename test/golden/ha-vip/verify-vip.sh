#!/bin/sh
# Rendered by hakube: VIP failover drill for ha-vip. keepalived's manifest is moved
# away on this host while it holds 10.30.12.249; the VIP must leave and the apiserver must answer
# through it from another control plane. The manifest is always put back.
VIP='10.30.12.249'
PORT='8443'
M='/etc/kubernetes/manifests/keepalived.yaml'
P='/var/lib/hakube/keepalived.yaml.drill'
probe() {
    if command -v curl >/dev/null 2>&1; then
        curl --silent --show-error --insecure --max-time 3 "$1"
    else
        wget -q --no-check-certificate -T 3 -O - "$1"
    fi
}
holds() { ip -o addr show | grep -qw "$VIP"; }
healthz() { [ "$(probe "https://$VIP:$PORT/healthz" 2>/dev/null)" = ok ]; }
wait_for() { i=0; until "$@"; do i=$((i + 1)); [ "$i" -ge 90 ] && return 1; sleep 1; done; }
not_holds() { ! holds; }

wait_for healthz || { echo "the apiserver does not answer through $VIP:$PORT" >&2; exit 1; }
if ! holds; then
    echo "$VIP is held by another control plane and answers; drill runs where the VIP is"
    exit 0
fi
mkdir -p '/var/lib/hakube'
t0=$(date +%s%N)
mv "$M" "$P"
trap 'mv "$P" "$M"' EXIT
wait_for not_holds || { echo "$VIP did not leave $(hostname) within 90s of stopping keepalived" >&2; exit 1; }
wait_for healthz || { echo "no apiserver answers through $VIP:$PORT after failover" >&2; exit 1; }
t1=$(date +%s%N)
# From stopping keepalived here to the apiserver answering through the VIP elsewhere.
echo "VIP $VIP moved off $(hostname) in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s; the apiserver answers through it"
