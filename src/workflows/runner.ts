/**
 * The one runner every action (deploy, reset, ...) goes through: it walks a plan's phases in
 * order and executes each as its `run` declaration says (host activities, children with an
 * undo and a health gate, or one cluster activity), parking on failures until the operator
 * answers. It knows no phase by name. All effects go through `RunnerEffects`, so the runner is
 * plain sequencing: workflow code drives it with Temporal calls, unit tests with stubs.
 */
import type { Plan, PlannedPhase, PhaseName, RuntimeValueName } from '../plan/types';
import type { RuntimeSecrets } from '../activities/types';
import type { HealthReport, WaitingFor } from './defs';

export class AbortRequested extends Error {}

/** master0 could not make join credentials (after the activity's retries): the operator decides. */
export class CredentialsUnavailable extends Error {}

/**
 * Behaviours added after runs were recorded: workflow code answers from Temporal's `patched()`,
 * so recorded histories replay the old way; stubs say yes.
 */
export type RunnerChange = 'abort-stops-pool';

/** What one child (one host's join) reports back to the runner. */
export interface ChildOutcome {
  ok: boolean;
  error?: string;
  /** The host's work was undone (compensated) after it failed. */
  undone?: boolean;
  undoError?: string;
  health?: HealthReport;
}

export interface RunnerEffects {
  /** One host's activity of a `host` phase; false when it failed after its retries. */
  runHost(phase: PlannedPhase, host: string): Promise<boolean>;
  /** One host's child of a `child` phase (attempt counts from 1 per host). */
  runChild(phase: PlannedPhase, host: string, attempt: number, runtime: RuntimeSecrets): Promise<ChildOutcome>;
  /** The single activity of a `cluster` phase. */
  runCluster(phase: PlannedPhase): Promise<HealthReport>;
  /** The phase's `then` activity; throws when it failed. */
  runThen(phase: PlannedPhase): Promise<void>;
  /** The runtime values `secrets` names, fresh enough for the next host to use; CredentialsUnavailable when master0 cannot make them. */
  credentials(secrets: RuntimeValueName[]): Promise<RuntimeSecrets>;
  /** The health gate after `host`. */
  gate(phase: PlannedPhase, host: string): Promise<HealthReport>;
  /** Parks until retry / skip-of-all / abort; throws AbortRequested on abort. */
  waitForOperator(waiting: WaitingFor): Promise<void>;
  abortRequested(): boolean;
  /** Hosts the operator skipped. */
  skipped(): ReadonlySet<string>;
  /** The last error recorded for a host of a phase (for the operator's message). */
  lastError(phase: PhaseName, host: string): string | undefined;
  /** How many hosts of a parallel phase run at once (options may lower the plan's). */
  concurrency(phase: PlannedPhase): number;
  enterPhase(phase: PlannedPhase): void;
  phaseDone(phase: PlannedPhase): void;
  patched(change: RunnerChange): boolean;
  /**
   * Large phases run in host groups (one child workflow per group, so no history holds every
   * host): the groups for `hosts`, or undefined to run them one by one here.
   */
  groups?(phase: PlannedPhase, hosts: readonly string[]): string[][] | undefined;
  /** One group's hosts, each as runHost / runChild would run it. */
  runGroup?(phase: PlannedPhase, hosts: string[], attempt: number, runtime: RuntimeSecrets | undefined): Promise<Map<string, ChildOutcome>>;
}

/** Runs `hosts` in the groups fx asks for; the hosts that failed, in order. */
async function inGroups(phase: PlannedPhase, hosts: readonly string[], groups: string[][], attempt: number, runtime: RuntimeSecrets | undefined, fx: RunnerEffects, outcomes?: Map<string, ChildOutcome>): Promise<string[]> {
  const results = await Promise.all(groups.map((g) => fx.runGroup!(phase, g, attempt, runtime)));
  const all = new Map<string, ChildOutcome>();
  for (const r of results) for (const [h, o] of r) all.set(h, o);
  if (outcomes) for (const [h, o] of all) outcomes.set(h, o);
  return hosts.filter((h) => !all.get(h)?.ok);
}

export async function runPlan(plan: Plan, fx: RunnerEffects): Promise<void> {
  for (const phase of plan.phases) {
    if (phase.skipped) continue;
    if (fx.abortRequested()) throw new AbortRequested();
    fx.enterPhase(phase);
    await runPhase(plan, phase, fx);
    fx.phaseDone(phase);
  }
}

export async function runPhase(plan: Plan, phase: PlannedPhase, fx: RunnerEffects): Promise<void> {
  switch (phase.run.kind) {
    case 'host':
      await runHostsUntilDone(phase, fx);
      break;
    case 'child':
      await runChildren(plan, phase, fx);
      break;
    case 'cluster':
      await runClusterUntilOk(phase, fx);
      break;
  }
  if (phase.run.then) await runThenUntilDone(phase, fx);
}

/** Runs the phase's hosts (bounded by its concurrency); failed hosts wait for retry or abort. */
export async function runHostsUntilDone(phase: PlannedPhase, fx: RunnerEffects): Promise<void> {
  let pending = phase.hosts;
  const stop = abortStops(fx);
  for (let attempt = 1; pending.length > 0; attempt++) {
    const groups = fx.groups?.(phase, pending);
    const failed = groups
      ? await inGroups(phase, pending, groups, attempt, undefined, fx)
      : await pool(pending, Math.max(1, phase.concurrency), (host) => fx.runHost(phase, host), stop);
    if (stop?.()) throw new AbortRequested();
    if (failed.length === 0) return;
    const errors = failed.map((h) => `${h}: ${fx.lastError(phase.name, h) ?? 'failed'}`);
    await fx.waitForOperator({ phase: phase.name, hosts: failed, error: errors.join('; '), allowed: ['retry', 'abort'] });
    pending = failed;
  }
}

/**
 * Children per host. Concurrency 1 takes the hosts one by one, each with fresh credentials and
 * the health gate before the next (control planes); otherwise the pending hosts run in rounds.
 */
async function runChildren(plan: Plan, phase: PlannedPhase, fx: RunnerEffects): Promise<void> {
  const serial = phase.concurrency <= 1;
  const rounds = serial ? phase.hosts.map((h) => [h]) : [phase.hosts];
  const redo = phase.run.redoAfterUndo ? plan.phases.find((p) => p.name === phase.run.redoAfterUndo && !p.skipped) : undefined;
  const allowed: WaitingFor['allowed'] = phase.run.skippable ? ['retry', 'skip', 'abort'] : ['retry', 'abort'];
  for (const round of rounds) {
    let pending = round;
    let undone = false;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (fx.abortRequested()) throw new AbortRequested();
      if (undone && redo) await runHostsUntilDone(redo, fx);
      const runtime = await credentialsUntilMade(phase, fx);
      const outcomes = new Map<string, ChildOutcome>();
      const stop = abortStops(fx);
      const groups = serial || phase.run.gate ? undefined : fx.groups?.(phase, pending);
      const failed = groups ? await inGroups(phase, pending, groups, attempt, runtime, fx, outcomes) : await pool(pending, serial ? 1 : Math.max(1, fx.concurrency(phase)), async (host) => {
        let o = await fx.runChild(phase, host, attempt, runtime);
        if (o.ok && phase.run.gate) {
          const health = await fx.gate(phase, host);
          if (!health.ok) o = { ok: false, error: `health gate after ${host}: ${health.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`).join('; ')}`, health };
        }
        outcomes.set(host, o);
        return o.ok;
      }, stop);
      if (stop?.()) throw new AbortRequested();
      if (failed.length === 0) break;
      undone = failed.some((h) => outcomes.get(h)?.undone);
      const errors = failed.map((h) => {
        const o = outcomes.get(h);
        return `${h}: ${o?.error ?? fx.lastError(phase.name, h) ?? 'failed'}${o?.undoError ? `; compensation failed: ${o.undoError}` : ''}`;
      });
      const health = failed.length === 1 ? outcomes.get(failed[0])?.health : undefined;
      await fx.waitForOperator({ phase: phase.name, hosts: failed, error: errors.join('; '), allowed, ...(health ? { health } : {}) });
      pending = failed.filter((h) => !fx.skipped().has(h));
    }
  }
}

/** An abort stops the pool from starting more hosts (the running ones finish their step). */
function abortStops(fx: RunnerEffects): (() => boolean) | undefined {
  return fx.patched('abort-stops-pool') ? () => fx.abortRequested() : undefined;
}

/** Credentials master0 cannot make now (apiserver down, expired admin.conf) park the run, like a failed host. */
async function credentialsUntilMade(phase: PlannedPhase, fx: RunnerEffects): Promise<RuntimeSecrets> {
  for (;;) {
    try {
      return await fx.credentials(phase.run.secrets);
    } catch (err) {
      if (!(err instanceof CredentialsUnavailable)) throw err;
      await fx.waitForOperator({ phase: phase.name, hosts: [], error: `join credentials from master0: ${err.message}`, allowed: ['retry', 'abort'] });
    }
  }
}

async function runClusterUntilOk(phase: PlannedPhase, fx: RunnerEffects): Promise<void> {
  for (;;) {
    const report = await fx.runCluster(phase);
    if (report.ok) return;
    const failing = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    await fx.waitForOperator({ phase: phase.name, hosts: [], error: failing.join('; '), allowed: ['retry', 'abort'] });
  }
}

async function runThenUntilDone(phase: PlannedPhase, fx: RunnerEffects): Promise<void> {
  for (;;) {
    try {
      await fx.runThen(phase);
      return;
    } catch (err) {
      if (err instanceof AbortRequested) throw err;
      await fx.waitForOperator({ phase: phase.name, hosts: [], error: `${phase.run.then}: ${(err as Error).message}`, allowed: ['retry', 'abort'] });
    }
  }
}

/**
 * Runs `fn` over items with at most `limit` at once; returns the items whose fn said false (or
 * that never started because `stop` said so), in order.
 */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<boolean>, stop?: () => boolean): Promise<T[]> {
  const ok = new Map<T, boolean>();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length && !stop?.()) {
      const item = items[next++];
      ok.set(item, await fn(item));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return items.filter((i) => !ok.get(i));
}

/**
 * Which credentials to (re)make before a host starts. Uploaded control-plane certs live 2h and
 * bootstrap tokens 24h: refresh with a margin so a join never starts with credentials about to
 * lapse (e.g. after a run waited overnight). When the certificate key is needed master0 is
 * always asked: it also re-uploads the certs if they were lost early.
 */
export const CERT_KEY_MAX_AGE_MS = 110 * 60 * 1000;
export const TOKEN_MAX_AGE_MS = 23 * 60 * 60 * 1000;

export interface CredentialAges {
  tokenAt?: number;
  certKeyAt?: number;
}

export function credentialsToRefresh(
  secrets: readonly RuntimeValueName[],
  have: CredentialAges,
  now: number,
  maxAge: { certKeyMs: number; tokenMs: number } = { certKeyMs: CERT_KEY_MAX_AGE_MS, tokenMs: TOKEN_MAX_AGE_MS },
): { call: boolean; newToken: boolean; uploadCerts: boolean } {
  const needsToken = secrets.includes('joinToken') || secrets.includes('caCertHash');
  const needsKey = secrets.includes('certificateKey');
  const newToken = needsToken && (have.tokenAt === undefined || now - have.tokenAt > maxAge.tokenMs);
  const uploadCerts = needsKey && (have.certKeyAt === undefined || now - have.certKeyAt > maxAge.certKeyMs);
  return { call: needsKey || newToken, newToken, uploadCerts };
}
