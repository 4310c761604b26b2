/**
 * The progress record the deploy workflow keeps and answers the `progress` query with. Pure
 * helpers over plain objects: deterministic, no I/O, unit-testable without a server.
 */
import type { Plan, PhaseName } from '../plan/types';
import type { HostPhaseResult, StepFailureDetails } from '../activities/types';
import type { HealthReport, HostDetail, HostProgress, PhaseProgress, Progress, StepProgress } from './defs';

const TAIL_CHARS = 2000;

export function initialProgress(plan: Plan): Progress {
  return {
    cluster: plan.cluster,
    master0: plan.master0,
    state: 'running',
    phases: plan.phases.map((p) => {
      // Grouped once per phase: filtering every step per host is quadratic at thousands of hosts.
      const byHost = new Map<string, StepProgress[]>();
      for (const s of p.steps) {
        let list = byHost.get(s.host);
        if (!list) byHost.set(s.host, (list = []));
        list.push({ id: s.id, title: s.title, status: 'pending', attempts: 0 });
      }
      return {
        name: p.name,
        status: p.skipped ? 'skipped' : 'pending',
        reason: p.reason,
        hosts: p.hosts.map((host) => ({ host, status: 'pending', attempts: 0, steps: byHost.get(host) ?? [] })),
      };
    }),
  };
}

export function phaseOf(progress: Progress, name: PhaseName): PhaseProgress {
  const phase = progress.phases.find((p) => p.name === name);
  if (!phase) throw new Error(`no phase ${name} in the plan`);
  return phase;
}

export function hostOf(phase: PhaseProgress, host: string): HostProgress {
  const h = phase.hosts.find((x) => x.host === host);
  if (!h) throw new Error(`host ${host} has no work in phase ${phase.name}`);
  return h;
}

/** One host's records in every phase it takes part in: the `host` query's answer. */
export function hostDetail(progress: Progress, host: string): HostDetail {
  return { host, phases: progress.phases.flatMap((ph) => ph.hosts.filter((h) => h.host === host).map((h) => ({ phase: ph.name, progress: h }))) };
}

// Timestamps are workflow time (the sandbox's Date is the task's start, the same on replay); they
// only feed the progress query, never a command, so recorded histories replay unchanged.
export function markRunning(h: HostProgress, workflowId: string, now = Date.now()): void {
  h.status = 'running';
  h.workflowId = workflowId;
  h.startedAt = now;
  h.endedAt = undefined;
  h.lastError = undefined;
  for (const s of h.steps) if (s.status === 'failed') s.status = 'pending';
}

export function applyResult(h: HostProgress, result: HostPhaseResult, now = Date.now()): void {
  h.status = 'done';
  h.endedAt = now;
  h.lastError = undefined;
  for (const outcome of result.steps) {
    const s = h.steps.find((x) => x.id === outcome.id);
    if (!s) continue;
    s.status = outcome.status;
    s.attempts = outcome.attempts;
    s.tail = clip(outcome.tail);
    s.lastError = undefined;
  }
}

/** One host's outcome as a host group hands it back (the workflow and the history reader both apply it). */
export function applyGroupOutcome(h: HostProgress, o: { ok: boolean; result?: HostPhaseResult; error?: string; details?: StepFailureDetails; compensated?: boolean }): void {
  if (o.ok && o.result) return applyResult(h, o.result);
  applyFailure(h, o.error ?? 'failed', o.details?.attempt ?? 1, o.details);
  if (o.compensated) h.status = 'compensated';
}

export function applyFailure(h: HostProgress, message: string, attempts: number, details?: StepFailureDetails, now = Date.now()): void {
  h.status = 'failed';
  h.endedAt = now;
  h.attempts = attempts;
  h.lastError = message;
  if (!details) return;
  h.steps.forEach((s, i) => {
    if (i < details.stepIndex && s.status === 'pending') s.status = 'done';
  });
  const s = h.steps.find((x) => x.id === details.stepId);
  if (s) {
    s.status = 'failed';
    s.attempts = Math.max(s.attempts, attempts);
    s.lastError = message;
    s.tail = clip(details.tail);
  }
}

function clip(tail: string | undefined): string | undefined {
  if (!tail) return tail;
  return tail.length > TAIL_CHARS ? tail.slice(tail.length - TAIL_CHARS) : tail;
}

/** The runbook line the Web UI shows for a host's phase run: its main (long) step, or its last. */
export function summaryFor(plan: Plan, phase: PhaseName, host: string): string {
  const steps = plan.phases.find((p) => p.name === phase)?.steps.filter((s) => s.host === host) ?? [];
  const main = steps.find((s) => s.commands.some((c) => c.long)) ?? steps[steps.length - 1];
  return main ? `${phase} ${host}: ${main.title}` : `${phase} ${host}`;
}

/** summaryFor of every host of a phase in one pass (a group asks for hundreds at once). */
export function summariesFor(plan: Plan, phase: PhaseName): Map<string, string> {
  const byHost = new Map<string, Plan['phases'][number]['steps']>();
  for (const s of plan.phases.find((p) => p.name === phase)?.steps ?? []) {
    let list = byHost.get(s.host);
    if (!list) byHost.set(s.host, (list = []));
    list.push(s);
  }
  const out = new Map<string, string>();
  for (const [host, steps] of byHost) {
    const main = steps.find((s) => s.commands.some((c) => c.long)) ?? steps[steps.length - 1];
    out.set(host, main ? `${phase} ${host}: ${main.title}` : `${phase} ${host}`);
  }
  return out;
}

/** Verify runs as one activity; its checks are mapped back onto the verify steps they ran. */
export function applyChecks(phase: PhaseProgress, report: HealthReport): void {
  // By host once: filtering 5,000 checks for each of 5,000 hosts took seconds on every replay.
  const byHost = new Map<string, HealthReport['checks']>();
  for (const c of report.checks) {
    if (c.host === undefined) continue;
    let list = byHost.get(c.host);
    if (!list) byHost.set(c.host, (list = []));
    list.push(c);
  }
  for (const h of phase.hosts) {
    const mine = byHost.get(h.host) ?? [];
    if (mine.length === 0) continue;
    for (const c of mine) {
      const s = h.steps.find((x) => x.id === c.stepId);
      if (!s) continue;
      s.status = c.ok ? 'done' : 'failed';
      s.attempts += 1;
      // The raw output, when the check carries it, stays reachable through `hakube logs`.
      s.tail = clip(c.output) ?? c.detail;
      s.lastError = c.ok ? undefined : c.detail;
    }
    const failed = mine.find((c) => !c.ok);
    h.status = failed ? 'failed' : 'done';
    h.lastError = failed ? `${failed.name}: ${failed.detail}` : undefined;
  }
}
