/**
 * runHostPhase: one activity per host per phase runs that host's steps in order over the host's
 * pooled SSH connection. It heartbeats the step it is on (and the output tail), so a retry or a
 * new worker resumes at that step instead of redoing the finished ones; each step's check makes
 * a re-run of the interrupted step a no-op if its effect is already there.
 */
import { Context } from '@temporalio/activity';
import type { PlannedStep } from '../plan/types';
import { executeStep, type SshPool, type SshTarget } from '../ssh';
import { reveal } from '../temporal/secret';
import type { HostPhaseHeartbeat, HostPhaseInput, HostPhaseResult, RuntimeSecrets, StepOutcome } from './types';
import { stepFailure } from './failure';
import { progressBeat } from './heartbeat';
import { clipTail } from './tail';
import { targetFor } from './targets';
import type { Cluster } from '../spec/types';


export function revealRuntime(runtime: RuntimeSecrets | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(runtime ?? {})) if (v !== undefined) out[k] = reveal(v);
  return out;
}

/**
 * Files a step copies from another host (e.g. etcd certificates made on the first member) are
 * read over that host's own pooled connection just before the step runs; their content never
 * leaves the worker.
 */
async function withCopiedFiles(pool: SshPool, spec: Cluster, step: PlannedStep): Promise<PlannedStep> {
  if (!step.files.some((f) => f.from)) return step;
  const files = await Promise.all(
    step.files.map(async (f) => {
      if (!f.from) return f;
      const source = await pool.get(targetFor(spec, f.from.host));
      const { from: _from, ...rest } = f;
      return { ...rest, content: await source.readFile(f.from.path) };
    }),
  );
  return { ...step, files };
}

/**
 * Runs `steps` on their hosts in order, heartbeating; shared by the forward and compensation
 * activities. `reach` turns a host name into its SSH target (by default from the admitted spec).
 */
export async function runSteps(
  pool: SshPool,
  spec: Cluster,
  steps: PlannedStep[],
  runtime: RuntimeSecrets | undefined,
  reach: (host: string) => SshTarget = (host) => targetFor(spec, host),
): Promise<StepOutcome[]> {
  const ctx = Context.current();
  const attempt = ctx.info.attempt;
  const prev = ctx.info.heartbeatDetails as HostPhaseHeartbeat | undefined;
  // Resume only from details that describe this same list of steps.
  const resume = prev && Array.isArray(prev.startedAt) && prev.startedAt.length === steps.length ? prev : undefined;
  // The activity attempt in which each step was first tried: a step's attempts are counted from
  // it, so the count survives heartbeats lost to throttling when an attempt fails.
  const startedAt = resume ? [...resume.startedAt] : steps.map(() => 0);
  const tries = (i: number) => (startedAt[i] ? attempt - startedAt[i] + 1 : 0);
  const done: StepOutcome[] = resume ? [...resume.done] : [];
  const values = revealRuntime(runtime);
  const host = steps[0]?.host;
  let hb: HostPhaseHeartbeat = { host, stepIndex: resume?.stepIndex ?? 0, startedAt, done, tail: '' };
  // Heartbeats come from progress (a step starting, output, the host's liveness lines for a
  // detached command), never from a timer: a host that stops answering stops them.
  const beat = progressBeat(() => ctx.heartbeat(hb));
  const signal = ctx.cancellationSignal;
  try {
    for (let i = hb.stepIndex; i < steps.length; i++) {
      const step = steps[i];
      const firstTry = startedAt[i] === 0;
      if (firstTry) startedAt[i] = attempt;
      hb = { host, stepIndex: i, startedAt, done, tail: '' };
      beat.now();
      let tail = '';
      try {
        const conn = await pool.get(reach(step.host));
        const r = await executeStep(conn, await withCopiedFiles(pool, spec, step), values, {
          signal,
          owner: ctx.info.workflowExecution?.runId ?? 'hakube',
          keepRunningOnAbort: () => keepsRunning(signal),
          onProgress: (p) => {
            tail = p.tail;
            hb = { ...hb, tail: clipTail(p.tail) };
            beat();
          },
        });
        // Already in place on its first try: nothing ran, so no attempt to count.
        const already = r.skipped;
        done.push({ id: step.id, status: already ? 'already' : 'done', attempts: already && firstTry ? 0 : tries(i), tail: clipTail(tail) });
      } catch (err) {
        hb = { host, stepIndex: i, startedAt, done, tail: clipTail(tail) };
        beat.now();
        throw stepFailure(err, { stepId: step.id, stepIndex: i, tail: clipTail(tail), attempt: tries(i) });
      }
    }
    hb = { host, stepIndex: steps.length, startedAt, done, tail: '' };
    beat.now();
    return done;
  } finally {
    beat.stop();
  }
}

/**
 * A detached command keeps running when this attempt ends for any reason but a cancel (abort of
 * the run): a worker shutting down or a timed-out attempt leaves it to the next attempt to attach.
 */
function keepsRunning(signal: AbortSignal): boolean {
  const reason: unknown = signal.reason;
  return !(reason instanceof Error && reason.message === 'CANCELLED');
}

/** apply's removals run on hosts that left the spec: they are reached as the previous spec had them. */
function reachable(input: HostPhaseInput): Cluster {
  if (input.action?.action !== 'apply') return input.spec;
  const names = new Set(input.spec.spec.hosts.map((h) => h.name));
  const gone = input.action.previous.spec.hosts.filter((h) => !names.has(h.name));
  return { ...input.spec, spec: { ...input.spec.spec, hosts: [...input.spec.spec.hosts, ...gone] } };
}

export async function runHostPhase(
  pool: SshPool,
  input: HostPhaseInput,
  stepsFor: (spec: Cluster, phase: HostPhaseInput['phase'], host: string, action: HostPhaseInput['action']) => PlannedStep[],
): Promise<HostPhaseResult> {
  const steps = stepsFor(input.spec, input.phase, input.host, input.action);
  const outcomes = await runSteps(pool, reachable(input), steps, input.runtime);
  return { host: input.host, phase: input.phase, steps: outcomes };
}
