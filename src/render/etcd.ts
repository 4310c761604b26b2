/**
 * The external etcd cluster: a YAML config and a systemd unit per member, and one
 * openssl script run on the first member that makes the CA and every certificate (member
 * server/peer certs, the apiserver's client cert). The other hosts copy theirs from there.
 */
import { etcdHosts } from '../spec/topology';
import type { Cluster, HostSpec } from '../spec/types';
import { durationSeconds } from '../spec/fields';
import { shellQuote as q } from '../ssh/quote';
import { ETCD_CA, ETCD_CONFIG, ETCD_PKI } from './paths';
import { toYaml } from './yaml';

/** Where the first member keeps each member's certificates before they are copied out. */
export const memberCertDir = (name: string) => `${ETCD_PKI}/members/${name}`;

/**
 * Days a member or client certificate of the external etcd lasts: the spec's
 * certificates.validityPeriod when set (rounded up to whole days: openssl 3.0's x509 knows no
 * finer lifetime), else ten years as before. The deploy and the renewal both sign with it.
 */
export function etcdCertDays(c: Cluster): number {
  const v = c.spec.certificates?.validityPeriod;
  return v ? Math.max(1, Math.ceil(durationSeconds(v) / 86400)) : 3650;
}

/** The SANs of a member's server and peer certificates (the renewal keeps them). */
export const memberSan = (h: HostSpec) => `subjectAltName=DNS:${h.name},DNS:localhost,IP:${h.address},IP:127.0.0.1`;

/** CN of the apiserver's client certificate for the external members. */
export const ETCD_CLIENT_CN = 'kube-apiserver-etcd-client';

export function etcdClientUrls(c: Cluster): string {
  return etcdHosts(c).map((h) => `https://${h.address}:2379`).join(',');
}

export function renderEtcdConfig(c: Cluster, host: HostSpec): string {
  const e = c.spec.etcd;
  const tls = (kind: 'server' | 'peer') => ({
    'cert-file': `${ETCD_PKI}/${kind}.crt`,
    'key-file': `${ETCD_PKI}/${kind}.key`,
    'client-cert-auth': true,
    'trusted-ca-file': ETCD_CA,
  });
  return `# Rendered by hakube: etcd member ${host.name} of cluster ${c.metadata.name}\n${toYaml({
    name: host.name,
    'data-dir': e.dataDir,
    'listen-peer-urls': `https://${host.address}:2380`,
    'listen-client-urls': `https://${host.address}:2379`,
    'initial-advertise-peer-urls': `https://${host.address}:2380`,
    'advertise-client-urls': `https://${host.address}:2379`,
    'initial-cluster': etcdHosts(c).map((h) => `${h.name}=https://${h.address}:2380`).join(','),
    'initial-cluster-state': 'new',
    'initial-cluster-token': `hakube-${c.metadata.name}`,
    'heartbeat-interval': e.heartbeatInterval,
    'election-timeout': e.electionTimeout,
    'quota-backend-bytes': e.quotaBackendBytes,
    'snapshot-count': 10000,
    'auto-compaction-mode': 'periodic',
    'auto-compaction-retention': '1h',
    // With --config-file etcd 3.4 takes embed's defaults, not its flags': these two flag
    // defaults must be spelled out (the v3 JSON gateway is what curl-based tools speak).
    'enable-grpc-gateway': true,
    'strict-reconfig-check': true,
    logger: 'zap',
    'log-outputs': ['stderr'],
    'client-transport-security': tls('server'),
    'peer-transport-security': tls('peer'),
  })}`;
}

export function renderEtcdUnit(): string {
  return `# Rendered by hakube: external etcd member (overrides a distro etcd.service).
[Unit]
Description=etcd key-value store (Kubernetes external etcd)
After=network-online.target
Wants=network-online.target

[Service]
# simple, not notify: a first member waits for its peers, and starting members one by one
# must not block on quorum.
Type=simple
ExecStart=etcd --config-file ${ETCD_CONFIG}
Restart=always
RestartSec=5s
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`;
}

/**
 * openssl, EC P-256, the CA for 10 years, the others for etcdCertDays; certificates that already exist are kept, so reruns are harmless.
 * etcd checks a peer's source address against the IP SANs of its client certificate, so peer
 * certificates also name 127.0.0.1: members that reach each other over loopback (co-located,
 * or the real-binary test) come from there.
 */
export function renderEtcdCertScript(c: Cluster): string {
  const issue = etcdHosts(c)
    .flatMap((h) => {
      const san = q(memberSan(h));
      return ['server', 'peer'].map((kind) => `issue "$D"/${q(`members/${h.name}/${kind}`)} ${q(h.name)} ${san} serverAuth,clientAuth`);
    })
    .join('\n');
  return `#!/bin/sh
# Rendered by hakube: the external etcd PKI of cluster ${c.metadata.name}, made on its first member.
set -eu
umask 077
# ETCD_PKI_DIR only redirects the output for tests.
D="\${ETCD_PKI_DIR:-${ETCD_PKI}}"
DAYS=${etcdCertDays(c)}
CA_DAYS=3650
mkdir -p "$D"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

if [ ! -f "$D/ca.key" ] || [ ! -f "$D/ca.crt" ]; then
    key "$D/ca.key"
    openssl req -x509 -new -key "$D/ca.key" -subj ${q(`/CN=etcd-ca-${c.metadata.name}`)} -days "$CA_DAYS" \\
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \\
        -out "$D/ca.crt"
fi

# issue PATH CN EXTRA-EXTENSION EXTENDED-KEY-USAGE
issue() {
    if [ -f "$1.crt" ] && [ -f "$1.key" ]; then return 0; fi
    mkdir -p "$(dirname "$1")"
    key "$1.key"
    openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
    printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature,keyEncipherment\\nextendedKeyUsage=%s\\n%s\\n' "$4" "$3" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$D/ca.crt" -CAkey "$D/ca.key" -CAcreateserial -days "$DAYS" -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}

${issue}
issue "$D/apiserver-etcd-client" ${ETCD_CLIENT_CN} "" clientAuth
chmod 0644 "$D/ca.crt"
`;
}

/** etcdctl against every member with the apiserver's client cert, retried while members come up. */
export function renderEtcdHealthScript(c: Cluster, certs: { ca: string; cert: string; key: string }, endpoints = etcdClientUrls(c)): string {
  return `#!/bin/sh
# Rendered by hakube: etcd health of cluster ${c.metadata.name}; waits up to ~2 minutes for quorum.
export ETCDCTL_API=3
run() { etcdctl --endpoints ${q(endpoints)} --cacert ${q(certs.ca)} --cert ${q(certs.cert)} --key ${q(certs.key)} --command-timeout 10s "$@"; }
i=0
until run endpoint health; do
    i=$((i + 1))
    if [ "$i" -ge 60 ]; then echo "etcd is not healthy" >&2; exit 1; fi
    sleep 2
done
run member list -w table
# Which member leads: the verify summary names it.
run endpoint status -w table || true
`;
}
