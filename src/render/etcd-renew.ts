/**
 * Renewal of the external etcd's certificates. The CA key never leaves the first member: there
 * each member's current certificate (public, copied in) is re-signed for its own public key,
 * with the SANs the deploy gave it and the spec's lifetime, so no private key travels either.
 * Each member then takes its renewed files, restarts, and must serve them (read from its socket)
 * with quorum kept before the next member starts.
 */
import { controlPlanes, etcdHosts } from '../spec/topology';
import type { Cluster } from '../spec/types';
import { shellQuote as q } from '../ssh/quote';
import { RESTART_LOG } from './certs';
import { ETCD_CLIENT_CN, etcdCertDays, memberSan } from './etcd';
import { ETCD_CA, ETCD_PKI } from './paths';

/** On the first member: the certificates copied in, and those it signed, per member. */
export const RENEW_IN = `${ETCD_PKI}/renew/in`;
export const RENEW_OUT = `${ETCD_PKI}/renew/out`;
/** On each member: the renewed certificates it takes from the first member, before they go in place. */
export const RENEWED = `${ETCD_PKI}/renewed`;

/**
 * Run on the first member. $1: the threshold in seconds, or `force`. A certificate outside the
 * threshold is handed on unchanged (and the member step then finds nothing to do). openssl 3.0
 * re-signs only requests, so a throwaway request carries the subject and `-force_pubkey` the
 * certificate's own key.
 */
export function renderEtcdResignScript(c: Cluster): string {
  const resign = etcdHosts(c)
    .flatMap((h) => ['server', 'peer'].map((kind) => `resign ${q(`${h.name}/${kind}.crt`)} ${q(h.name)} ${q(memberSan(h))} serverAuth,clientAuth`))
    .join('\n');
  const client = controlPlanes(c).length ? `resign apiserver-etcd-client.crt ${ETCD_CLIENT_CN} "" clientAuth` : '';
  return `#!/bin/sh
# Rendered by hakube: re-sign the external etcd certificates of cluster ${c.metadata.name} with its CA.
set -eu
threshold=$1
D=${ETCD_PKI}
DAYS=${etcdCertDays(c)}
umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# resign NAME CN EXTRA-EXTENSION EXTENDED-KEY-USAGE: ${RENEW_IN}/NAME -> ${RENEW_OUT}/NAME
resign() {
    in=${RENEW_IN}/$1; out=${RENEW_OUT}/$1
    mkdir -p "$(dirname "$out")"
    end=$(openssl x509 -noout -enddate -in "$in"); end=\${end#notAfter=}
    if [ "$threshold" != force ] && openssl x509 -noout -checkend "$threshold" -in "$in" >/dev/null; then
        cp "$in" "$out.tmp"; chmod 0644 "$out.tmp"; mv "$out.tmp" "$out"
        echo "$1: kept, expires $end (outside $threshold s)"
        return 0
    fi
    openssl x509 -noout -pubkey -in "$in" > "$work/pub.pem"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/req.key" 2>/dev/null
    openssl req -new -key "$work/req.key" -subj "/CN=$2" -out "$work/req.csr"
    printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature,keyEncipherment\\nextendedKeyUsage=%s\\n%s\\n' "$4" "$3" > "$work/ext"
    openssl x509 -req -in "$work/req.csr" -force_pubkey "$work/pub.pem" -CA "$D/ca.crt" -CAkey "$D/ca.key" \\
        -CAserial "$D/ca.srl" -CAcreateserial -days "$DAYS" -extfile "$work/ext" -out "$out.tmp" 2>/dev/null
    chmod 0644 "$out.tmp"; mv "$out.tmp" "$out"
    new=$(openssl x509 -noout -enddate -in "$out"); new=\${new#notAfter=}
    echo "$1: re-signed, expires $new (was $end)"
}
${resign}
${client}
`;
}

/** Arguments the member scripts share: this member's name, its client address, every endpoint, the quorum. */
const HELPERS = `node=$1; at=$2; endpoints=$3; quorum=$4
ctl() { ETCDCTL_API=3 etcdctl --cacert ${ETCD_CA} --cert ${ETCD_PKI}/server.crt --key ${ETCD_PKI}/server.key --command-timeout 5s "$@"; }
served() { echo | timeout 5 openssl s_client -connect "$at" 2>/dev/null | openssl x509 -noout -fingerprint -sha256 2>/dev/null; }
served_end() { echo | timeout 5 openssl s_client -connect "$at" 2>/dev/null | openssl x509 -noout -enddate 2>/dev/null; }
fp() { openssl x509 -noout -fingerprint -sha256 -in "$1" 2>/dev/null; }
# When the serving etcd process started, in epoch seconds rounded up (mtimes are whole seconds:
# a member started in the same second as its files were written runs them), from its own
# metrics (0: no answer).
started() {
    u="https://$at/metrics"
    if command -v curl >/dev/null 2>&1; then
        m=$(curl -sS --max-time 5 --cacert ${ETCD_CA} --cert ${ETCD_PKI}/server.crt --key ${ETCD_PKI}/server.key "$u" 2>/dev/null)
    else
        m=$(wget -q -T 5 --ca-certificate=${ETCD_CA} --certificate=${ETCD_PKI}/server.crt --private-key=${ETCD_PKI}/server.key -O - "$u" 2>/dev/null)
    fi
    printf '%s\\n' "$m" | awk '/^process_start_time_seconds /{ printf "%d\\n", $2 + 1; f = 1 } END { if (!f) print 0 }'
}
# The member runs its renewed files: they are in place, it started after they were, and its socket serves them.
current() {
    for k in server peer; do cmp -s ${RENEWED}/$k.crt ${ETCD_PKI}/$k.crt || return 1; done
    [ "$(started)" -ge "$(stat -c %Y ${ETCD_PKI}/server.crt)" ] && [ "$(served)" = "$(fp ${ETCD_PKI}/server.crt)" ]
}`;

/** The member step's check: exit 0 when this member already runs its renewed certificates. */
export function renderEtcdMemberCurrentScript(): string {
  return `#!/bin/sh
# Rendered by hakube: does this etcd member run its renewed certificates?
${HELPERS}
if current; then echo "etcd $node: serves its current certificate ($(served_end)); nothing to restart"; exit 0; fi
echo "etcd $node: renewed certificates to install"
exit 1
`;
}

/**
 * Puts the renewed server and peer certificates in place, restarts this member, waits until its
 * socket serves the new certificate and it is healthy, then until a quorum of every endpoint is
 * healthy: the gate before the next member. Logs `epoch node etcd-member down|up` to the restart log.
 */
export function renderEtcdMemberRenewScript(): string {
  return `#!/bin/sh
# Rendered by hakube: restart this etcd member on its renewed certificates, then gate on quorum.
set -u
${HELPERS}
mkdir -p "$(dirname ${RESTART_LOG})"
log() { echo "$(date +%s) $node etcd-member $1" >> ${RESTART_LOG}; echo "$(date -u +%H:%M:%S) etcd $node: $1"; }
before=$(served_end)
for k in server peer; do
    cmp -s ${RENEWED}/$k.crt ${ETCD_PKI}/$k.crt && continue
    cp ${RENEWED}/$k.crt ${ETCD_PKI}/$k.crt.new && chmod 0644 ${ETCD_PKI}/$k.crt.new && mv ${ETCD_PKI}/$k.crt.new ${ETCD_PKI}/$k.crt
done
touch ${ETCD_PKI}/server.crt
sleep 1
log down
systemctl restart etcd
i=0
until current && ctl --endpoints "https://$at" endpoint health >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -ge 60 ]; then echo "etcd $node did not come back serving its renewed certificate within 120 s" >&2; exit 1; fi
    sleep 2
done
log up
echo "etcd $node serves its renewed certificate: \${before#notAfter=} -> $(served_end | sed 's/^notAfter=//')"
i=0
while :; do
    healthy=$(ctl --endpoints "$endpoints" endpoint health 2>&1 | grep -c 'is healthy')
    if [ "$healthy" -ge "$quorum" ]; then echo "$healthy etcd endpoints healthy (quorum $quorum)"; exit 0; fi
    i=$((i + 1))
    if [ "$i" -ge 40 ]; then echo "only $healthy etcd endpoints healthy, quorum needs $quorum" >&2; exit 1; fi
    sleep 3
done
`;
}
