#!/bin/sh
# Rendered by hakube: apiserver health through 127.0.0.1:6443 from this host.
URL='https://127.0.0.1:6443/healthz'
probe() {
    if command -v curl >/dev/null 2>&1; then
        curl --silent --show-error --insecure --max-time 3 "$1"
    else
        wget -q --no-check-certificate -T 3 -O - "$1"
    fi
}
i=0
until out=$(probe "$URL") && [ "$out" = ok ]; do
    i=$((i + 1))
    if [ "$i" -ge 15 ]; then echo "GET $URL: ${out:-no answer}" >&2; exit 1; fi
    sleep 2
done
echo "GET $URL: $out"
