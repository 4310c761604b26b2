/** Spec -> plan: every phase in order with its hosts, concurrency and steps. Pure and deterministic. */
import { PHASE_MODULES } from '../phases';
import { cleanupSteps } from '../phases/cleanup';
import { master0 } from '../spec/topology';
import type { Cluster } from '../spec/types';
import { PHASES, type Plan, type PlannedPhase, type PlannedStep } from './types';

export function buildPlan(c: Cluster): Plan {
  const phases: PlannedPhase[] = [];
  const earlier: PlannedStep[] = [];
  for (const name of PHASES) {
    const mod = PHASE_MODULES[name];
    const reason = mod.skipReason(c);
    if (reason !== undefined) {
      phases.push({ name, title: mod.title, run: mod.run, skipped: true, reason, hosts: [], concurrency: 0, steps: [] });
      continue;
    }
    // cleanup needs every earlier step, to remove the transient files they wrote.
    const steps = name === 'cleanup' ? cleanupSteps(c, earlier) : mod.steps(c);
    earlier.push(...steps);
    const hosts = name === 'cleanup' ? [...new Set(steps.map((s) => s.host))] : mod.hosts(c);
    phases.push({ name, title: mod.title, run: mod.run, skipped: false, hosts, concurrency: mod.concurrency(c), steps });
  }
  return { cluster: c.metadata.name, master0: master0(c).name, phases };
}
