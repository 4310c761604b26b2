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

/** The last line that says something (a table's closing border does not). */
function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter((l) => !/^[\s+\-=|]*$/.test(l));
  return scrubSecrets((lines[lines.length - 1] ?? '').slice(0, 240));
}

export async function verifySteps(pool: SshPool, spec: Cluster, steps: PlannedStep[]): Promise<HealthReport> {
  const ctx = Context.current();
  const checks: HealthCheck[] = [];
  for (const step of steps) {
    let tail = '';
    try {
      const conn = await pool.get(targetFor(spec, step.host));
      const r = await executeStep(conn, step, {}, {
        signal: ctx.cancellationSignal,
        onProgress: (p) => {
          tail = p.tail;
        },
      });
      const out = r.results.map((x) => x.stdoutTail).join('\n');
      checks.push({ name: `${step.host}: ${step.title}`, stepId: step.id, host: step.host, ok: true, detail: lastLine(out || tail) || (r.skipped ? 'already verified' : 'ok') });
    } catch (err) {
      checks.push({ name: `${step.host}: ${step.title}`, stepId: step.id, host: step.host, ok: false, detail: lastLine((err as Error).message) });
    }
  }
  return { ok: checks.length > 0 && checks.every((c) => c.ok), checks };
}
