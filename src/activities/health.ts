/**
 * checkControlPlane: after a compensation, is master0 still serving and does etcd still have
 * quorum? Asked through master0's apiserver (/healthz and /readyz fail when the apiserver cannot
 * read from etcd, which needs a quorum) and its Node object, so it works for stacked and external etcd without etcd client certs.
 */
import type { SshConnection } from '../ssh';
import type { HealthCheck, HealthReport } from '../workflows/defs';
import { ADMIN_CONF } from '../render/paths';

const ANY_EXIT = Array.from({ length: 256 }, (_, i) => i);

async function probe(conn: SshConnection, name: string, argv: string[], ok: (out: string) => boolean): Promise<HealthCheck> {
  try {
    const r = await conn.run(argv, { okExitCodes: ANY_EXIT });
    const out = (r.stdoutTail || r.stderrTail).trim();
    const last = out.split('\n').slice(-1)[0] ?? '';
    const passed = r.exitCode === 0 && ok(out);
    // A passing JSON answer says nothing useful in one line; a failing one shows its last line.
    const detail = passed ? (out.length <= 60 ? out : 'ok') : last.slice(0, 200) || `exit ${r.exitCode}`;
    return { name, ok: passed, detail };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message.slice(0, 200) };
  }
}

export function nodeReady(json: string): boolean {
  try {
    const node = JSON.parse(json) as { status?: { conditions?: Array<{ type: string; status: string }> } };
    return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  } catch {
    return false;
  }
}

export async function checkControlPlane(conn: SshConnection, master0: string): Promise<HealthReport> {
  const kubectl = ['kubectl', '--kubeconfig', ADMIN_CONF];
  const checks = [
    await probe(conn, `${master0} apiserver /healthz`, [...kubectl, 'get', '--raw', '/healthz'], (o) => /^ok$/m.test(o)),
    await probe(conn, 'etcd quorum (apiserver /readyz)', [...kubectl, 'get', '--raw', '/readyz'], (o) => /^ok$/m.test(o)),
    await probe(conn, `${master0} node Ready`, [...kubectl, 'get', 'node', master0, '-o', 'json'], (o) => nodeReady(o)),
  ];
  return { ok: checks.every((c) => c.ok), checks };
}
