/**
 * verifyCluster: every check of the plan's verify phase (nodes Ready, etcd health and members,
 * healthz through the LB and VIP, the VIP failover drill or the test deployment, depending on
 * the topology) is run and reported on its own, so one failing check does not hide the others.
 */
import { Context } from '@temporalio/activity';
import type { PlannedStep } from '../plan/types';
import { executeStep, type SshPool } from '../ssh';
import type { Cluster } from '../spec/types';
import type { HealthCheck, HealthReport } from '../workflows/defs';
import { scrubSecrets } from './tail';
import { targetFor } from './targets';
import { summarizeCheck } from './verify-summary';
import { verifyKind } from '../phases/verify';
import { controlPlanes, nodes } from '../spec/topology';

/** The last line that says something (a table's closing border does not). */
function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter((l) => !/^[\s+\-=|]*$/.test(l));
  return scrubSecrets((lines[lines.length - 1] ?? '').slice(0, 240));
}

const OUTPUT_CHARS = 4000;
const clipOutput = (text: string): string => scrubSecrets(text.length > OUTPUT_CHARS ? text.slice(text.length - OUTPUT_CHARS) : text);

/** After the drill: which control plane holds the VIP now (asked of each, by its addresses). */
async function vipHolder(pool: SshPool, spec: Cluster, exclude: string): Promise<string | undefined> {
  const vip = spec.spec.loadBalancer.vip;
  if (!vip) return undefined;
  for (const h of controlPlanes(spec)) {
    if (h.name === exclude) continue;
    try {
      const conn = await pool.get(targetFor(spec, h.name));
      const r = await conn.run(['ip', '-o', '-4', 'addr', 'show']);
      if (r.stdoutTail.split(/\s+/).some((w) => w === `${vip}/32` || w.startsWith(`${vip}/`))) return h.name;
    } catch {
      // unreachable: the summary says "another control plane"
    }
  }
  return undefined;
}

export async function verifySteps(pool: SshPool, spec: Cluster, steps: PlannedStep[]): Promise<HealthReport> {
  const ctx = Context.current();
  const checks: HealthCheck[] = [];
  const expected = nodes(spec).map((h) => h.name);
  for (const step of steps) {
    let tail = '';
    const name = `${step.host}: ${step.title}`;
    try {
      const conn = await pool.get(targetFor(spec, step.host));
      const r = await executeStep(conn, step, {}, {
        signal: ctx.cancellationSignal,
        onProgress: (p) => {
          tail = p.tail;
        },
      });
      // etcdctl says "is healthy" on stderr: the readers see both streams of every command.
      const out = r.results.map((x) => [x.stdoutTail, x.stderrTail].filter(Boolean).join('\n')).join('\n') || tail;
      const kind = verifyKind(step.id);
      const holder = kind === 'vip-failover' ? await vipHolder(pool, spec, step.host) : undefined;
      const words = kind && out ? summarizeCheck(kind, out, { nodes: expected, host: step.host, vipHolder: holder }) : undefined;
      const detail = words ?? (lastLine(out) || (r.skipped ? 'already verified' : 'ok'));
      checks.push({ name, stepId: step.id, host: step.host, ok: true, detail, output: clipOutput(out) });
    } catch (err) {
      const message = (err as Error).message;
      checks.push({ name, stepId: step.id, host: step.host, ok: false, detail: lastLine(message), output: clipOutput(tail ? `${tail}\n${message}` : message) });
    }
  }
  return { ok: checks.length > 0 && checks.every((c) => c.ok), checks };
}
