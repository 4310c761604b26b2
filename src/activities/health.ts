/**
 * checkControlPlane: after a compensation, is master0 still serving and does etcd still have
 * quorum? Asked of master0's own apiserver (/healthz, and /readyz which fails when the apiserver
 * cannot read from etcd, which needs a quorum) and its Node object: the same for stacked and
 * external etcd, and no etcd client certificates needed.
 */
import type { SshConnection } from '../ssh';
import type { HealthCheck, HealthReport } from '../workflows/defs';
import { ADMIN_CONF } from '../render/paths';

const ANY_EXIT = Array.from({ length: 256 }, (_, i) => i);
const SETTLE_MS = 60_000;

/**
 * One check, asked again for a while: right after a compensation the LB reloads its backends
 * (haproxy, nginx), so the first answer may be a refused connection rather than the truth.
 */
async function probe(conn: SshConnection, name: string, argv: string[], ok: (out: string) => boolean, settleMs = SETTLE_MS): Promise<HealthCheck> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    let check: HealthCheck;
    try {
      const r = await conn.run(argv, { okExitCodes: ANY_EXIT });
      const out = (r.stdoutTail || r.stderrTail).trim();
      const last = out.split('\n').slice(-1)[0] ?? '';
      const passed = r.exitCode === 0 && ok(out);
      // A passing JSON answer says nothing useful in one line; a failing one shows its last line.
      const detail = passed ? (out.length <= 60 ? out : 'ok') : last.slice(0, 200) || `exit ${r.exitCode}`;
      check = { name, ok: passed, detail };
    } catch (err) {
      check = { name, ok: false, detail: (err as Error).message.slice(0, 200) };
    }
    if (check.ok || Date.now() >= deadline) return check;
    await new Promise((r) => setTimeout(r, 3000));
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

// curl or wget, whichever the host has; anonymous /healthz and /readyz are allowed by kubeadm's RBAC.
const PROBE = 'if command -v curl >/dev/null 2>&1; then curl -sS -k --max-time 5 "$1"; else wget -q --no-check-certificate -T 5 -O - "$1"; fi';

/** `joined`: a control plane that just joined, whose own apiserver must be ready as well. */
export async function checkControlPlane(conn: SshConnection, master0: string, apiserver: string, joined?: { name: string; apiserver: string }): Promise<HealthReport> {
  const kubectl = ['kubectl', '--kubeconfig', ADMIN_CONF];
  const checks = [
    await probe(conn, `${master0} apiserver /healthz`, ['sh', '-c', PROBE, 'sh', `https://${apiserver}/healthz`], (o) => /^ok$/m.test(o)),
    // /readyz includes the etcd check: it fails when the apiserver cannot read, i.e. without quorum.
    await probe(conn, 'etcd quorum (apiserver /readyz)', ['sh', '-c', PROBE, 'sh', `https://${apiserver}/readyz`], (o) => /^ok$/m.test(o)),
    await probe(conn, `${master0} node Ready`, [...kubectl, 'get', 'node', master0, '-o', 'json'], (o) => nodeReady(o)),
  ];
  if (joined) checks.push(await probe(conn, `${joined.name} apiserver /readyz`, ['sh', '-c', PROBE, 'sh', `https://${joined.apiserver}/readyz`], (o) => /^ok$/m.test(o)));
  return { ok: checks.every((c) => c.ok), checks };
}
