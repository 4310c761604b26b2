import type { PhaseName, PhaseRun, PlannedStep } from '../plan/types';
import type { Cluster } from '../spec/types';

/** One runbook phase: pure functions of the validated spec. */
export interface PhaseModule {
  name: PhaseName;
  /** What the phase does, as the plan printout heads it. */
  title: string;
  /** Why the phase does not apply to this spec, or undefined when it runs. */
  skipReason(c: Cluster): string | undefined;
  /** Hosts in the order they are taken. */
  hosts(c: Cluster): string[];
  concurrency(c: Cluster): number;
  steps(c: Cluster): PlannedStep[];
  /** How the runner executes it: kind, secrets, undo, health gate (see PhaseRun). */
  run: PhaseRun;
}
