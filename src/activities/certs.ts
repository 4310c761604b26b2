/**
 * checkCertificates: every certificate of the cluster with its expiry, asked of the hosts.
 * Control planes answer with kubeadm's own `certs check-expiration`; what kubeadm does not see
 * (an external etcd's PKI, the kubelet's client and serving certificates) is read with openssl.
 */
import type { SshPool } from '../ssh';
import { etcdDriver } from '../drivers/etcd';
import { parseKubeadmExpiration, parseOpensslLines, type CertReport, type CertRow } from '../certs/expiry';
import { CERT_READER, KUBELET_CERT_ARGS } from '../render/certs';
import { controlPlanes } from '../spec/topology';
import type { Cluster, HostSpec } from '../spec/types';
import { targetFor } from './targets';

// One line: kubeadm's JSON is longer than an output tail keeps in lines.
const KUBEADM_JSON = 'kubeadm certs check-expiration -o json | tr -d "\\n"';

async function hostRows(pool: SshPool, spec: Cluster, h: HostSpec, now: number): Promise<CertRow[]> {
  const conn = await pool.get(targetFor(spec, h.name));
  const rows: CertRow[] = [];
  if (controlPlanes(spec).some((p) => p.name === h.name)) {
    const r = await conn.run(['sh', '-c', KUBEADM_JSON], { timeoutMs: 60_000 });
    rows.push(...parseKubeadmExpiration(r.stdoutTail, h.name));
  }
  const own = etcdDriver(spec).ownCertificates(spec, h);
  if (own.length) {
    const r = await conn.run(['sh', '-c', CERT_READER, 'sh', ...own.map((o) => `${o.name}=${o.path}`)], { timeoutMs: 30_000 });
    const caOf = new Map(own.map((o) => [o.name, o.ca]));
    // kubeadm reports its own apiserver-etcd-client as externally managed with external etcd: openssl's reading replaces it.
    const names = new Set(own.map((o) => o.name));
    for (let i = rows.length - 1; i >= 0; i--) if (names.has(rows[i].certificate) && rows[i].externallyManaged) rows.splice(i, 1);
    rows.push(...parseOpensslLines(r.stdoutTail, h.name, 'etcd', (n) => caOf.get(n) ?? '', now).map((row) => (row.ca === '' ? { ...row, kind: 'ca' as const } : row)));
  }
  const k = await conn.run(['sh', '-c', CERT_READER, 'sh', ...KUBELET_CERT_ARGS], { timeoutMs: 30_000 });
  rows.push(...parseOpensslLines(k.stdoutTail, h.name, 'kubelet', (n) => (n === 'kubelet-client' ? 'ca' : 'self-signed'), now));
  return rows;
}

export async function checkCertificates(pool: SshPool, spec: Cluster): Promise<CertReport> {
  const now = Date.now();
  const errors: string[] = [];
  const kube = spec.spec.hosts.filter((h) => h.roles.includes('control-plane') || h.roles.includes('worker') || etcdDriver(spec).ownCertificates(spec, h).length);
  const results = await Promise.all(
    kube.map((h) =>
      hostRows(pool, spec, h, now).catch((err: unknown) => {
        errors.push(`${h.name}: ${(err as Error).message.split('\n')[0]}`);
        return [] as CertRow[];
      }),
    ),
  );
  return { rows: results.flat(), errors, readAt: now };
}
