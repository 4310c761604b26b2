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
import { mapBounded } from './bounded';

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

/** Per-node checks at once: 5,000 nodes one after another took longer than the activity may run. */
export const VERIFY_CONCURRENCY = 64;
/** Checks that read only their own node: they may run side by side (the drill and the cluster-wide ones may not). */
const PER_NODE = new Set(['healthz']);

export async function verifySteps(pool: SshPool, spec: Cluster, steps: PlannedStep[], concurrency = VERIFY_CONCURRENCY): Promise<HealthReport> {
  const ctx = Context.current();
  const checks: HealthCheck[] = [];
  const expected = nodes(spec).map((h) => h.name);
  let checked = 0;
  const check = async (step: PlannedStep): Promise<HealthCheck> => {
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
      return { name, stepId: step.id, host: step.host, ok: true, detail, output: clipOutput(out) };
    } catch (err) {
      const message = (err as Error).message;
      return { name, stepId: step.id, host: step.host, ok: false, detail: lastLine(message), output: clipOutput(tail ? `${tail}\n${message}` : message) };
    } finally {
      ctx.heartbeat({ checked: ++checked, total: steps.length });
    }
  };
  const cancelled = () => ctx.cancellationSignal.aborted;
  for (const run of runsOf(steps)) {
    if (cancelled()) break;
    checks.push(...(await mapBounded(run, run.length > 1 ? concurrency : 1, check, cancelled)).filter((c) => c !== undefined));
  }
  return { ok: checks.length > 0 && checks.length === steps.length && checks.every((c) => c.ok), checks };
}

/** Consecutive per-node checks form one run (side by side); every other check is a run of its own, in plan order. */
export function runsOf(steps: PlannedStep[]): PlannedStep[][] {
  const runs: PlannedStep[][] = [];
  for (const s of steps) {
    const last = runs[runs.length - 1];
    const perNode = PER_NODE.has(verifyKind(s.id) ?? '');
    if (perNode && last && PER_NODE.has(verifyKind(last[0].id) ?? '')) last.push(s);
    else runs.push([s]);
  }
  return runs;
}
