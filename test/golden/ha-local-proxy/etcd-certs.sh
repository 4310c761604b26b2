#!/bin/sh
# Rendered by hakube: the external etcd PKI of cluster ha-local-proxy, made on its first member.
set -eu
umask 077
# ETCD_PKI_DIR only redirects the output for tests.
D="${ETCD_PKI_DIR:-/etc/etcd/pki}"
DAYS=3650
CA_DAYS=3650
mkdir -p "$D"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

if [ ! -f "$D/ca.key" ] || [ ! -f "$D/ca.crt" ]; then
    key "$D/ca.key"
    openssl req -x509 -new -key "$D/ca.key" -subj '/CN=etcd-ca-ha-local-proxy' -days "$CA_DAYS" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
        -out "$D/ca.crt"
fi

# issue PATH CN EXTRA-EXTENSION EXTENDED-KEY-USAGE
issue() {
    if [ -f "$1.crt" ] && [ -f "$1.key" ]; then return 0; fi
    mkdir -p "$(dirname "$1")"
    key "$1.key"
    openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n%s\n' "$4" "$3" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$D/ca.crt" -CAkey "$D/ca.key" -CAcreateserial -days "$DAYS" -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}

issue "$D"/'members/k1/server' 'k1' 'subjectAltName=DNS:k1,DNS:localhost,IP:172.16.10.21,IP:127.0.0.1' serverAuth,clientAuth
issue "$D"/'members/k1/peer' 'k1' 'subjectAltName=DNS:k1,DNS:localhost,IP:172.16.10.21,IP:127.0.0.1' serverAuth,clientAuth
issue "$D"/'members/k2/server' 'k2' 'subjectAltName=DNS:k2,DNS:localhost,IP:172.16.10.22,IP:127.0.0.1' serverAuth,clientAuth
issue "$D"/'members/k2/peer' 'k2' 'subjectAltName=DNS:k2,DNS:localhost,IP:172.16.10.22,IP:127.0.0.1' serverAuth,clientAuth
issue "$D"/'members/k3/server' 'k3' 'subjectAltName=DNS:k3,DNS:localhost,IP:172.16.10.23,IP:127.0.0.1' serverAuth,clientAuth
issue "$D"/'members/k3/peer' 'k3' 'subjectAltName=DNS:k3,DNS:localhost,IP:172.16.10.23,IP:127.0.0.1' serverAuth,clientAuth
issue "$D/apiserver-etcd-client" kube-apiserver-etcd-client "" clientAuth
chmod 0644 "$D/ca.crt"
