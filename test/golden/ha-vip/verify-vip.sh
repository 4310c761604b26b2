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

# One drill at a time: a re-run waits for an earlier drill that still runs (it puts keepalived
# back itself); one that died left the lock free and the manifest away, which is put back first,
# so verify never passes while this host runs no keepalived.
mkdir -p '/var/lib/hakube'
exec 8>'/var/lib/hakube/vip-drill.lock'
flock -w 200 8 || { echo "an earlier VIP drill still runs on $(hostname)" >&2; exit 1; }
if [ -e "$P" ] && [ ! -e "$M" ]; then
    echo "putting back keepalived's manifest, left moved away by an interrupted drill"
    mv "$P" "$M"
fi
wait_for healthz || { echo "the apiserver does not answer through $VIP:$PORT" >&2; exit 1; }
if ! holds; then
    echo "$VIP is held by another control plane and answers; drill runs where the VIP is"
    exit 0
fi
# Armed before anything moves, in a session of its own (it outlives this script, its SSH session
# and the worker): puts the manifest back if this script cannot, e.g. killed with SIGKILL.
setsid sh -c 'sleep "$3"; if [ -e "$1" ] && [ ! -e "$2" ]; then mv "$1" "$2"; fi' sh "$P" "$M" 200 </dev/null >/dev/null 2>&1 8>&- &
timer=$!
trap 'exit 1' HUP INT TERM
trap '[ -e "$P" ] && [ ! -e "$M" ] && mv "$P" "$M"; kill "$timer" 2>/dev/null' EXIT
t0=$(date +%s%N)
mv "$M" "$P"
wait_for not_holds || { echo "$VIP did not leave $(hostname) within 90s of stopping keepalived" >&2; exit 1; }
wait_for healthz || { echo "no apiserver answers through $VIP:$PORT after failover" >&2; exit 1; }
t1=$(date +%s%N)
# From stopping keepalived here to the apiserver answering through the VIP elsewhere.
echo "VIP $VIP moved off $(hostname) in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s; the apiserver answers through it"
