/**
 * deployCluster: walks the plan's phases in order on the cluster's hosts. Masters join one at a
 * time (each a child workflow, compensated on failure), workers join with bounded concurrency,
 * and any failure that survives its retries parks the run until the operator says retry, skip
 * (workers) or abort. Deterministic: all I/O is in activities; time is workflow time.
 */
import {
  ApplicationFailure,
  condition,
  executeChild,
  patched,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Plan, PlannedPhase } from '../plan/types';
import type { JoinCredentials, RuntimeSecrets, SpecInput } from '../activities/types';
import {
  abortUpdate,
  HAKUBE_CLUSTER,
  kubeconfigQuery,
  HAKUBE_PHASE,
  progressQuery,
  retryUpdate,
  skipUpdate,
  type DeployMemo,
  type DeployResult,
  type HealthReport,
  type Kubeconfig,
  type Progress,
  type WaitingFor,
} from './defs';
import { activitiesFor, compensationActivitiesFor, type DeployOptions } from './proxies';
import { describeFailure } from './failure';
import { joinMaster, joinWorker, type JoinOutcome } from './join';
import { assertValidSpec, planFor, SPEC_CHECK_PATCH } from './plan';
import { applyChecks, applyFailure, applyResult, hostOf, initialProgress, markRunning, phaseOf, summaryFor } from './state';

export interface DeployInput {
  spec: SpecInput;
  options?: DeployOptions;
}

// Uploaded control-plane certs live 2h and bootstrap tokens 24h: refresh with a margin so a
// join never starts with credentials about to lapse (e.g. after a run waited overnight).
const CERT_KEY_MAX_AGE_MS = 110 * 60 * 1000;
const TOKEN_MAX_AGE_MS = 23 * 60 * 60 * 1000;

class AbortRequested extends Error {}

export async function deployCluster(input: DeployInput): Promise<DeployResult> {
  let plan: Plan;
  try {
    // A run started straight on the task queue meets the rules a spec file does. Runs recorded
    // before this check replay without it (their spec may predate a rule).
    if (patched(SPEC_CHECK_PATCH)) assertValidSpec(input.spec);
    plan = planFor(input.spec);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`cannot plan the deploy: ${(err as Error).message}`, 'SpecInvalid');
  }
  const run = new DeployRun(input, plan);
  return run.execute();
}

class DeployRun {
  private readonly progress: Progress;
  private readonly acts;
  private readonly skipped = new Set<string>();
  private decision: 'retry' | 'continue' | undefined;
  private abortRequested = false;
  private kubeconfig?: Kubeconfig;
  private creds: { joinToken?: JoinCredentials['joinToken']; caCertHash?: JoinCredentials['caCertHash']; certificateKey?: JoinCredentials['certificateKey']; tokenAt?: number; certKeyAt?: number } = {};
  private readonly workflowId = workflowInfo().workflowId;

  constructor(
    private readonly input: DeployInput,
    private readonly plan: Plan,
  ) {
    this.progress = initialProgress(plan);
    this.acts = activitiesFor(input.options);
    this.installHandlers();
  }

  async execute(): Promise<DeployResult> {
    try {
      for (const phase of this.plan.phases) {
        if (phase.skipped) continue;
        if (this.abortRequested) throw new AbortRequested();
        this.enterPhase(phase);
        await this.runPhase(phase);
        phaseOf(this.progress, phase.name).status = 'done';
        phaseOf(this.progress, phase.name).endedAt = workflowNow();
      }
    } catch (err) {
      if (!(err instanceof AbortRequested)) {
        this.progress.state = 'failed';
        this.progress.error = describeFailure(err).message;
        this.publish();
        throw err;
      }
      await this.reverseCleanup();
      return { cluster: this.plan.cluster, state: 'aborted', skipped: [...this.skipped] };
    }
    this.progress.state = 'done';
    this.progress.phase = undefined;
    this.publish('done');
    return {
      cluster: this.plan.cluster,
      state: 'done',
      verification: this.progress.verification,
      kubeconfig: this.kubeconfig,
      skipped: [...this.skipped],
    };
  }

  private installHandlers(): void {
    const p = this.progress;
    setHandler(progressQuery, () => p);
    setHandler(kubeconfigQuery, () => this.kubeconfig);
    setHandler(
      retryUpdate,
      () => {
        this.decision = 'retry';
        return `retrying ${p.waiting?.phase ?? ''} on ${p.waiting?.hosts.join(', ') || p.cluster}`;
      },
      {
        validator: () => {
          if (p.state !== 'waiting') throw new Error(`${p.cluster} is not waiting for the operator (state: ${p.state})`);
        },
      },
    );
    setHandler(
      skipUpdate,
      (host: string) => {
        this.skipped.add(host);
        const w = p.waiting as WaitingFor;
        w.hosts = w.hosts.filter((h) => h !== host);
        const h = phaseOf(p, w.phase).hosts.find((x) => x.host === host);
        if (h) h.status = 'skipped';
        if (w.hosts.length === 0) this.decision = 'continue';
        return `skipped ${host}; the deploy carries on without it`;
      },
      {
        validator: (host: string) => {
          if (p.state !== 'waiting' || !p.waiting) throw new Error(`${p.cluster} is not waiting for the operator (state: ${p.state})`);
          if (!p.waiting.allowed.includes('skip')) {
            throw new Error(`cannot skip in phase ${p.waiting.phase}: only failed workers can be skipped; use retry or abort`);
          }
          if (!p.waiting.hosts.includes(host)) {
            throw new Error(`${host} is not a failed worker of this run (failed: ${p.waiting.hosts.join(', ')})`);
          }
        },
      },
    );
    setHandler(
      abortUpdate,
      () => {
        this.abortRequested = true;
        return p.state === 'waiting'
          ? `aborting ${p.cluster}: running the reverse cleanup`
          : `aborting ${p.cluster} after the current step: then the reverse cleanup runs`;
      },
      {
        validator: () => {
          if (p.state === 'done' || p.state === 'aborted' || p.state === 'aborting' || p.state === 'failed') {
            throw new Error(`${p.cluster} cannot be aborted: the run is ${p.state}`);
          }
          if (this.abortRequested) throw new Error(`${p.cluster} is already aborting`);
        },
      },
    );
  }

  private enterPhase(phase: PlannedPhase): void {
    this.progress.phase = phase.name;
    phaseOf(this.progress, phase.name).status = 'running';
    phaseOf(this.progress, phase.name).startedAt = workflowNow();
    this.publish();
  }

  /** Keeps search attributes and memo current: the Web UI and `hakube list` read them. */
  private publish(phaseLabel?: string): void {
    upsertSearchAttributes([
      { key: HAKUBE_CLUSTER, value: this.plan.cluster },
      { key: HAKUBE_PHASE, value: phaseLabel ?? this.progress.phase ?? 'start' },
    ]);
    const w = this.progress.waiting;
    const memo: DeployMemo = { state: this.progress.state, phase: this.progress.phase, waitingOn: w ? `${w.phase}: ${w.hosts.join(', ')}` : undefined };
    upsertMemo(memo as unknown as Record<string, unknown>);
  }

  private async runPhase(phase: PlannedPhase): Promise<void> {
    switch (phase.name) {
      case 'join-masters':
        return this.joinMasters(phase);
      case 'join-workers':
        return this.joinWorkers(phase);
      case 'verify':
        return this.verify();
      case 'init':
        await this.runHostsUntilDone(phase);
        return this.fetchKubeconfig();
      default:
        return this.runHostsUntilDone(phase);
    }
  }

  /** Runs the phase's hosts (bounded by its concurrency); failed hosts wait for retry or abort. */
  private async runHostsUntilDone(phase: PlannedPhase): Promise<void> {
    let pending = phase.hosts;
    while (pending.length > 0) {
      const failed = await pool(pending, Math.max(1, phase.concurrency), (host) => this.runHost(phase, host));
      if (failed.length === 0) return;
      const errors = failed.map((h) => `${h}: ${hostOf(phaseOf(this.progress, phase.name), h).lastError ?? 'failed'}`);
      await this.waitForOperator({ phase: phase.name, hosts: failed, error: errors.join('; '), allowed: ['retry', 'abort'] });
      pending = failed;
    }
  }

  private async runHost(phase: PlannedPhase, host: string): Promise<boolean> {
    const h = hostOf(phaseOf(this.progress, phase.name), host);
    markRunning(h, this.workflowId);
    try {
      const runtime = phase.name === 'cleanup' ? this.runtime() : undefined;
      const result = await this.acts.runHostPhase.executeWithOptions({ summary: summaryFor(this.plan, phase.name, host) }, [
        { spec: this.input.spec, phase: phase.name, host, runtime },
      ]);
      applyResult(h, result);
      return true;
    } catch (err) {
      const f = describeFailure(err);
      applyFailure(h, f.message, f.details?.attempt ?? 1, f.details);
      return false;
    }
  }

  private async joinMasters(phase: PlannedPhase): Promise<void> {
    const lb = this.plan.phases.find((p) => p.name === 'lb' && !p.skipped);
    for (const host of phase.hosts) {
      let compensated = false;
      for (let attempt = 1; ; attempt++) {
        if (this.abortRequested) throw new AbortRequested();
        // Compensation took the node out of the LB backends: the (idempotent) lb phase puts it back.
        if (compensated && lb) await this.runHostsUntilDone(lb);
        const runtime = await this.freshCredentials(true);
        const outcome = await this.joinChild('master', phase, host, attempt, runtime);
        if (outcome.ok) break;
        compensated = outcome.compensation !== undefined;
        await this.waitForOperator({
          phase: phase.name,
          hosts: [host],
          error: `${host}: ${outcome.error}${outcome.compensationError ? `; compensation failed: ${outcome.compensationError}` : ''}`,
          allowed: ['retry', 'abort'],
          health: outcome.health,
        });
      }
    }
  }

  private async joinWorkers(phase: PlannedPhase): Promise<void> {
    const limit = Math.max(1, this.input.options?.workerConcurrency ?? phase.concurrency);
    let pending = phase.hosts;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (this.abortRequested) throw new AbortRequested();
      const runtime = await this.freshCredentials(false);
      const failed = await pool(pending, limit, async (host) => (await this.joinChild('worker', phase, host, attempt, runtime)).ok);
      if (failed.length === 0) return;
      const errors = failed.map((h) => `${h}: ${hostOf(phaseOf(this.progress, phase.name), h).lastError ?? 'failed'}`);
      await this.waitForOperator({ phase: phase.name, hosts: failed, error: errors.join('; '), allowed: ['retry', 'skip', 'abort'] });
      pending = failed.filter((h) => !this.skipped.has(h));
    }
  }

  private async joinChild(role: 'master' | 'worker', phase: PlannedPhase, host: string, attempt: number, runtime: RuntimeSecrets): Promise<JoinOutcome> {
    const h = hostOf(phaseOf(this.progress, phase.name), host);
    const workflowId = `${this.workflowId}/join-${role}/${host}/${attempt}`;
    markRunning(h, workflowId);
    let outcome: JoinOutcome;
    try {
      outcome = await executeChild(role === 'master' ? joinMaster : joinWorker, {
        workflowId,
        // Host and credentials first: the Web UI shows the start of a long input, the spec is long.
        args: [{ host, summary: summaryFor(this.plan, phase.name, host), runtime, options: this.input.options, spec: this.input.spec }],
        typedSearchAttributes: [
          { key: HAKUBE_CLUSTER, value: this.plan.cluster },
          { key: HAKUBE_PHASE, value: phase.name },
        ],
        staticSummary: `${phase.name} ${host} (attempt ${attempt})`,
      });
    } catch (err) {
      outcome = { ok: false, error: describeFailure(err).message };
    }
    if (outcome.ok) {
      applyResult(h, outcome.result);
    } else {
      applyFailure(h, outcome.error, outcome.details?.attempt ?? 1, outcome.details);
      if (outcome.compensation) h.status = 'compensated';
    }
    return outcome;
  }

  /**
   * Join credentials from master0, renewed when older than their TTL allows. For a master the
   * activity is always called: it also re-uploads the certs if master0 lost them early.
   */
  private async freshCredentials(forMaster: boolean): Promise<RuntimeSecrets> {
    const now = workflowNow();
    const c = this.creds;
    const newToken = !c.joinToken || now - (c.tokenAt ?? 0) > TOKEN_MAX_AGE_MS;
    const uploadCerts = forMaster && (!c.certificateKey || now - (c.certKeyAt ?? 0) > CERT_KEY_MAX_AGE_MS);
    if (forMaster || newToken) {
      const what = [newToken ? 'kubeadm token create --print-join-command' : '', uploadCerts ? 'kubeadm init phase upload-certs --upload-certs' : '']
        .filter(Boolean)
        .join(' + ') || 'check uploaded certs and token';
      const got = await this.acts.ensureJoinCredentials.executeWithOptions({ summary: `${this.plan.master0}: ${what}` }, [
        { spec: this.input.spec, newToken, uploadCerts },
      ]);
      if (got.tokenCreated) {
        c.joinToken = got.joinToken;
        c.caCertHash = got.caCertHash;
        c.tokenAt = now;
      }
      if (got.certsUploaded) {
        c.certificateKey = got.certificateKey;
        c.certKeyAt = now;
      }
    }
    return this.runtime();
  }

  private runtime(): RuntimeSecrets {
    const r: RuntimeSecrets = {};
    if (this.creds.joinToken) r.joinToken = this.creds.joinToken;
    if (this.creds.caCertHash) r.caCertHash = this.creds.caCertHash;
    if (this.creds.certificateKey) r.certificateKey = this.creds.certificateKey;
    return r;
  }

  private async fetchKubeconfig(): Promise<void> {
    for (;;) {
      try {
        const got = await this.acts.fetchKubeconfig.executeWithOptions({ summary: `init ${this.plan.master0}: fetch admin.conf` }, [
          { spec: this.input.spec },
        ]);
        this.kubeconfig = got;
        // Recorded histories return the path the activity wrote on its worker.
        if (typeof got === 'string') this.progress.kubeconfig = got;
        else this.progress.kubeconfigFetched = true;
        return;
      } catch (err) {
        await this.waitForOperator({ phase: 'init', hosts: [], error: `fetch kubeconfig: ${describeFailure(err).message}`, allowed: ['retry', 'abort'] });
      }
    }
  }

  private async verify(): Promise<void> {
    for (;;) {
      let report: HealthReport;
      try {
        // Skipped workers are not part of the cluster: verify the spec without them.
        const spec = { ...this.input.spec, spec: { ...this.input.spec.spec, hosts: this.input.spec.spec.hosts.filter((h) => !this.skipped.has(h.name)) } };
        report = await this.acts.verifyCluster.executeWithOptions(
          { summary: 'verify: nodes Ready, etcd health and members, healthz via LB/VIP, failover drill, test deployment' },
          [{ spec }],
        );
      } catch (err) {
        report = { ok: false, checks: [{ name: 'verify', ok: false, detail: describeFailure(err).message }] };
      }
      this.progress.verification = report;
      applyChecks(phaseOf(this.progress, 'verify'), report);
      if (report.ok) return;
      const failing = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
      await this.waitForOperator({ phase: 'verify', hosts: [], error: failing.join('; '), allowed: ['retry', 'abort'] });
    }
  }

  /** Parks the run until retry, skip-of-every-failed-worker or abort. */
  private async waitForOperator(waiting: WaitingFor): Promise<void> {
    const phase = phaseOf(this.progress, waiting.phase);
    this.progress.state = 'waiting';
    this.progress.waiting = waiting;
    phase.status = 'waiting';
    this.decision = undefined;
    this.publish();
    await condition(() => this.decision !== undefined || this.abortRequested);
    this.progress.waiting = undefined;
    if (this.abortRequested) throw new AbortRequested();
    this.progress.state = 'running';
    phase.status = 'running';
    this.publish();
  }

  /**
   * abort: undo what the run did on the joined nodes, newest first, then remove the transient
   * artifacts (tokens, uploaded certs, staged secrets). master0 is never reset: an abort, like a
   * compensation, must not break the one node the cluster stands on.
   */
  private async reverseCleanup(): Promise<void> {
    this.progress.state = 'aborting';
    this.progress.waiting = undefined;
    this.publish('aborting');
    const comp = compensationActivitiesFor(this.input.options);
    const masters = new Set(this.plan.phases.find((p) => p.name === 'join-masters')?.hosts ?? []);
    const touched: string[] = [];
    for (const phase of this.progress.phases) {
      if (phase.name !== 'join-masters' && phase.name !== 'join-workers') continue;
      for (const h of phase.hosts) if (h.status !== 'pending' && h.status !== 'skipped' && !touched.includes(h.host)) touched.push(h.host);
    }
    const errors: string[] = [];
    for (const host of touched.filter((h) => h !== this.plan.master0).reverse()) {
      const act = masters.has(host) ? comp.compensateMaster : comp.compensateWorker;
      try {
        await act.executeWithOptions({ summary: `abort ${host}: kubeadm reset -f, remove member, node and backend` }, [{ spec: this.input.spec, host }]);
      } catch (err) {
        errors.push(`cleanup of ${host} failed: ${describeFailure(err).message}`);
      }
    }
    const cleanup = this.plan.phases.find((p) => p.name === 'cleanup' && !p.skipped);
    for (const host of cleanup?.hosts ?? []) {
      try {
        await comp.runHostPhase.executeWithOptions({ summary: summaryFor(this.plan, 'cleanup', host) }, [
          { spec: this.input.spec, phase: 'cleanup', host, runtime: this.runtime() },
        ]);
      } catch (err) {
        errors.push(`cleanup on ${host} failed: ${describeFailure(err).message}`);
      }
    }
    if (errors.length) this.progress.error = errors.join('; ');
    this.progress.state = 'aborted';
    this.publish('aborted');
  }
}

/** Workflow time: the sandbox's clock is the workflow task's start time, identical on replay. */
function workflowNow(): number {
  return new Date().getTime();
}

/** Runs `fn` over items with at most `limit` at once; returns the items whose fn said false, in order. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<boolean>): Promise<T[]> {
  const ok = new Map<T, boolean>();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      ok.set(item, await fn(item));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return items.filter((i) => !ok.get(i));
}
