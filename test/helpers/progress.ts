/**
 * Progress snapshots of a deploy in mid-flight, built the way the workflow builds them: the real
 * plan of examples/ha-vip.yaml widened to N workers, then the real progress-state transitions
 * (markRunning, applyResult, applyFailure) up to a chosen point in join-workers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseSpec } from '../../src/spec/parse';
import { buildPlan } from '../../src/plan/build';
import { applyFailure, applyResult, initialProgress, markRunning } from '../../src/workflows/state';
import type { Progress } from '../../src/workflows/defs';

const EXAMPLE = path.join(__dirname, '../../examples/ha-vip.yaml');

/** examples/ha-vip.yaml with w1..wN as its workers (addresses after the masters'). */
export function wideSpecText(workers: number): string {
  const text = fs.readFileSync(EXAMPLE, 'utf8');
  const lines = Array.from({ length: workers }, (_, i) => `    - { name: w${i + 1}, address: 10.30.${12 + Math.floor((i + 6) / 250)}.${((i + 6) % 250) + 1}, roles: [worker] }`);
  return text.replace(/( {4}- \{ name: w1,[^\n]*\n)( {4}- \{ name: w2,[^\n]*\n)/, lines.join('\n') + '\n');
}

export interface MidFlight {
  workers: number;
  /** Workers done, running and failed in join-workers; the rest pending. */
  done: number;
  running: number;
  failed: number;
  /** Workflow start; phases follow at a minute each. */
  t0?: number;
}

export function midFlightProgress(o: MidFlight): Progress {
  const spec = parseSpec(wideSpecText(o.workers), 'wide.yaml');
  const plan = buildPlan(spec);
  const p = initialProgress(plan);
  let t = o.t0 ?? Date.UTC(2026, 0, 1, 12, 0, 0);
  const finish = (h: Progress['phases'][number]['hosts'][number], start: number, end: number): void => {
    markRunning(h, 'wf', start);
    applyResult(h, { host: h.host, phase: 'prep', steps: h.steps.map((s) => ({ id: s.id, status: 'done', attempts: 1, tail: '' })) }, end);
  };
  for (const ph of p.phases) {
    if (ph.status === 'skipped') continue;
    p.phase = ph.name;
    ph.status = 'running';
    ph.startedAt = t;
    if (ph.name !== 'join-workers') {
      for (const h of ph.hosts) finish(h, t, t + 50_000);
      t += 60_000;
      ph.status = 'done';
      ph.endedAt = t;
      continue;
    }
    ph.hosts.forEach((h, i) => {
      if (i < o.done) finish(h, t + i * 1000, t + i * 1000 + 30_000);
      else if (i < o.done + o.running) {
        markRunning(h, `hakube/ha-vip/deploy/join-worker/${h.host}/1`, t + i * 1000);
        const at = Math.min(1, h.steps.length - 1);
        h.steps.forEach((s, j) => (s.status = j < at ? 'done' : j === at ? 'running' : 'pending'));
      } else if (i < o.done + o.running + o.failed) {
        markRunning(h, 'wf', t + i * 1000);
        applyFailure(h, `CommandFailedError: kubeadm join exited 1 on ${h.host}: [preflight] couldn't validate the identity of the API Server`, 5, undefined, t + i * 1000 + 20_000);
      }
    });
    return p;
  }
  return p;
}
