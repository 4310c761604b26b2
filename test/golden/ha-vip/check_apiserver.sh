#!/bin/sh
# Rendered by hakube: keepalived's health check for cluster ha-vip (VIP).
PORT='8443'
VIP='10.30.12.249'

probe() {
    if command -v curl >/dev/null 2>&1; then
        curl --silent --insecure --max-time 2 -o /dev/null "$1"
    else
        wget -q --no-check-certificate -T 2 -O /dev/null "$1"
    fi
}

fail() {
    echo "*** $*" >&2
    exit 1
}

probe "https://127.0.0.1:$PORT/healthz" || fail "GET https://127.0.0.1:$PORT/healthz"
if ip -o addr show | grep -qw "$VIP"; then
    probe "https://$VIP:$PORT/healthz" || fail "GET https://$VIP:$PORT/healthz"
fi
exit 0
