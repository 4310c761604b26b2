/**
 * ActionRun: one run of an action's plan inside a workflow. It owns what the runner must not
 * know about: the progress record and its query, the operator updates, search attributes and
 * memo, join credentials and their ages, and the Temporal calls behind each effect. The order
 * of phases and hosts is the runner's (runner.ts). Deterministic: all I/O is in activities;
 * time is workflow time.
 */
import { CancellationScope, condition, executeChild, isCancellation, patched, setHandler, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Plan, PlannedPhase, PhaseName, RuntimeValueName } from '../plan/types';
import type { ActionRef } from '../plan/actions';
import type { JoinCredentials, RuntimeSecrets, SpecInput } from '../activities/types';
import {
  abortUpdate,
  HAKUBE_CLUSTER,
  HAKUBE_PHASE,
  kubeconfigQuery,
  progressQuery,
  hostQuery,
  type HostDetail,
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
import { renewMaster } from './renew-master';
import { AbortRequested, CredentialsUnavailable, credentialsToRefresh, runPlan, type ChildOutcome, type RunnerChange, type RunnerEffects } from './runner';
import { SpecStore } from './spec-ref';
import { compactProgress, progressAnswer } from './compact';
import { GROUP_HOSTS, GROUPS_PATCH, hostGroup } from './group';
import { applyChecks, applyFailure, applyGroupOutcome, applyResult, hostDetail, hostOf, initialProgress, markRunning, phaseOf, summariesFor, summaryFor } from './state';

/** Marker of the health gate after each control plane (runs recorded before it replay without it). */
export const GATE_PATCH = 'hakube-control-plane-gate';
/** Failure paths added later (issue: fault matrix); runs recorded before replay without them. */
export const CREDENTIALS_WAIT_PATCH = 'hakube-credentials-wait';
export const CANCEL_CLEANUP_PATCH = 'hakube-cancel-cleanup';
export const DELETE_TOKENS_PATCH = 'hakube-delete-run-tokens';
/** The result carries the final progress (runs recorded before it end with the bare result). */
export const FINAL_PROGRESS_PATCH = 'hakube-final-progress';
const RUNNER_PATCHES: Record<RunnerChange, string> = { 'abort-stops-pool': 'hakube-abort-stops-pool' };

const CHILDREN = { joinMaster, joinWorker, renewMaster } as const;

type Creds = Partial<Record<RuntimeValueName, JoinCredentials['joinToken']>> & { tokenAt?: number; certKeyAt?: number };

export class ActionRun implements RunnerEffects {
  private readonly progress: Progress;
  private readonly acts;
  private readonly skippedHosts = new Set<string>();
  private decision: 'retry' | 'continue' | undefined;
  private abort = false;
  private kubeconfig?: Kubeconfig;
  private readonly creds: Creds = {};
  private readonly workflowId = workflowInfo().workflowId;
  /** How the spec reaches activities and children (inline in old runs, else by SpecRef). */
  private readonly specs = new SpecStore();
  /** How many groups the current round of a grouped phase has: each gets its share of the concurrency. */
  private groupCount = 1;

  constructor(
    private readonly spec: SpecInput,
    private readonly options: DeployOptions | undefined,
    private readonly plan: Plan,
    /** The action whose plan this is; deploy leaves it out of activity inputs. */
    private readonly action?: ActionRef,
  ) {
    this.progress = initialProgress(plan);
    this.acts = activitiesFor(options);
    this.installHandlers();
  }

  async execute(): Promise<DeployResult> {
    try {
      await runPlan(this.plan, this);
    } catch (err) {
      // A cancel (the Web UI's, or `temporal workflow cancel`) undoes like an abort, in a scope the
      // cancel cannot reach, and the run still ends cancelled.
      if (isCancellation(err) && patched(CANCEL_CLEANUP_PATCH)) {
        await CancellationScope.nonCancellable(() => this.reverseCleanup('cancelled'));
        throw err;
      }
      if (!(err instanceof AbortRequested)) {
        this.progress.state = 'failed';
        this.progress.error = describeFailure(err).message;
        this.publish();
        throw err;
      }
      await this.reverseCleanup();
      return { cluster: this.plan.cluster, state: 'aborted', skipped: [...this.skippedHosts], ...this.finalProgress() };
    }
    if (patched(DELETE_TOKENS_PATCH)) {
      const left = await this.deleteRunTokens();
      if (left) this.progress.error = left;
    }
    this.progress.state = 'done';
    this.progress.phase = undefined;
    this.publish('done');
    return {
      cluster: this.plan.cluster,
      state: 'done',
      verification: this.progress.verification,
      kubeconfig: this.kubeconfig,
      skipped: [...this.skippedHosts],
      ...this.finalProgress(),
    };
  }

  /**
   * A closed run's progress query costs a replay of its whole history (6 MB at 5,000 hosts); its
   * result is one read. Compact at any size: the full record's output tails (about 4 KB a host)
   * would only repeat what the history holds, and `status --host` reads a quiet host's there.
   */
  private finalProgress(): Pick<DeployResult, 'progress'> {
    return patched(FINAL_PROGRESS_PATCH) ? { progress: compactProgress(this.progress) as unknown as Progress } : {};
  }

  // --- RunnerEffects ------------------------------------------------------------------------

  abortRequested(): boolean {
    return this.abort;
  }

  patched(change: RunnerChange): boolean {
    return patched(RUNNER_PATCHES[change]);
  }

  skipped(): ReadonlySet<string> {
    return this.skippedHosts;
  }

  lastError(phase: PhaseName, host: string): string | undefined {
    return hostOf(phaseOf(this.progress, phase), host).lastError;
  }

  concurrency(phase: PlannedPhase): number {
    return Math.max(1, this.options?.workerConcurrency ?? phase.concurrency);
  }

  enterPhase(phase: PlannedPhase): void {
    this.progress.phase = phase.name;
    phaseOf(this.progress, phase.name).status = 'running';
    phaseOf(this.progress, phase.name).startedAt = workflowNow();
    this.publish();
  }

  phaseDone(phase: PlannedPhase): void {
    phaseOf(this.progress, phase.name).status = 'done';
    phaseOf(this.progress, phase.name).endedAt = workflowNow();
  }

  async runHost(phase: PlannedPhase, host: string): Promise<boolean> {
    const h = hostOf(phaseOf(this.progress, phase.name), host);
    markRunning(h, this.workflowId);
    try {
      const runtime = phase.run.secrets.length ? this.runtime(phase.run.secrets) : undefined;
      const result = await this.acts.runHostPhase.executeWithOptions({ summary: summaryFor(this.plan, phase.name, host) }, [
        { ...this.specs.arg(this.spec), phase: phase.name, host, runtime, ...(this.action ? { action: this.specs.action(this.action) } : {}) },
      ]);
      applyResult(h, result);
      return true;
    } catch (err) {
      const f = describeFailure(err);
      applyFailure(h, f.message, f.details?.attempt ?? 1, f.details);
      return false;
    }
  }

  async runChild(phase: PlannedPhase, host: string, attempt: number, runtime: RuntimeSecrets): Promise<ChildOutcome> {
    const child = phase.run.child;
    if (!child) throw new Error(`phase ${phase.name} runs children but names no child workflow`);
    const kind = child === 'renewMaster' ? 'renew' : child === 'joinMaster' ? 'join-master' : 'join-worker';
    const h = hostOf(phaseOf(this.progress, phase.name), host);
    const workflowId = `${this.workflowId}/${kind}/${host}/${attempt}`;
    markRunning(h, workflowId);
    let outcome: JoinOutcome;
    try {
      outcome = await executeChild(CHILDREN[child], {
        workflowId,
        // Host and credentials first: the Web UI shows the start of a long input, the spec is long.
        args: [{ host, summary: summaryFor(this.plan, phase.name, host), runtime, options: this.options, ...this.specs.arg(this.spec), ...(child === 'renewMaster' ? { action: this.action } : {}) }],
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
      return { ok: true };
    }
    applyFailure(h, outcome.error, outcome.details?.attempt ?? 1, outcome.details);
    if (outcome.compensation) h.status = 'compensated';
    return { ok: false, error: outcome.error, undone: outcome.compensation !== undefined, undoError: outcome.compensationError, health: outcome.health };
  }

  groups(phase: PlannedPhase, hosts: readonly string[]): string[][] | undefined {
    // Runs of at most GROUP_HOSTS hosts per phase (every recorded history) never ask the patch.
    const per = Math.max(1, this.options?.hostsPerGroup ?? GROUP_HOSTS);
    if (hosts.length <= per || !patched(GROUPS_PATCH)) return undefined;
    const n = Math.ceil(hosts.length / per);
    const size = Math.ceil(hosts.length / n);
    this.groupCount = n;
    return Array.from({ length: n }, (_, i) => hosts.slice(i * size, (i + 1) * size));
  }

  async runGroup(phase: PlannedPhase, hosts: string[], attempt: number, runtime: RuntimeSecrets | undefined): Promise<Map<string, ChildOutcome>> {
    const kind = phase.run.kind === 'child' ? phase.run.child : undefined;
    // Renewal is serial behind a gate, which never runs in groups.
    const child = kind === 'renewMaster' ? undefined : kind;
    const total = child ? this.concurrency(phase) : Math.max(1, phase.concurrency);
    const workflowId = `${this.workflowId}/${phase.name}/group-${hosts[0]}/${attempt}`;
    const progress = phaseOf(this.progress, phase.name);
    for (const host of hosts) markRunning(hostOf(progress, host), workflowId);
    const secrets = runtime ?? (phase.run.secrets.length ? this.runtime(phase.run.secrets) : undefined);
    const outcomes = new Map<string, ChildOutcome>();
    let got: Awaited<ReturnType<typeof hostGroup>>;
    try {
      got = await executeChild(hostGroup, {
        workflowId,
        args: [
          {
            cluster: this.plan.cluster,
            phase: phase.name,
            ...(child ? { child } : {}),
            hosts,
            summaries: ((m) => hosts.map((h) => m.get(h) ?? `${phase.name} ${h}`))(this.summaries(phase.name)),
            concurrency: Math.max(1, Math.ceil(total / this.groupCount)),
            attempt,
            runtime: secrets,
            ...(this.action && !child ? { action: this.specs.action(this.action) } : {}),
            options: this.options,
            parentId: this.workflowId,
            ...this.specs.arg(this.spec),
          },
        ],
        typedSearchAttributes: [
          { key: HAKUBE_CLUSTER, value: this.plan.cluster },
          { key: HAKUBE_PHASE, value: phase.name },
        ],
        staticSummary: `${phase.name}: ${hosts.length} hosts from ${hosts[0]} (attempt ${attempt})`,
      });
    } catch (err) {
      const message = describeFailure(err).message;
      got = hosts.map((host) => ({ host, ok: false, error: message }));
    }
    for (const o of got) {
      const h = hostOf(progress, o.host);
      applyGroupOutcome(h, o);
      outcomes.set(o.host, { ok: o.ok, error: o.error, undone: o.compensated, undoError: o.undoError, health: o.health });
    }
    return outcomes;
  }

  private readonly summaryCache = new Map<PhaseName, Map<string, string>>();
  private summaries(phase: PhaseName): Map<string, string> {
    let m = this.summaryCache.get(phase);
    if (!m) this.summaryCache.set(phase, (m = summariesFor(this.plan, phase)));
    return m;
  }

  async runCluster(phase: PlannedPhase): Promise<HealthReport> {
    let report: HealthReport;
    try {
      // Skipped hosts are not part of the cluster: verify the spec without them.
      const spec = { ...this.spec, spec: { ...this.spec.spec, hosts: this.spec.spec.hosts.filter((h) => !this.skippedHosts.has(h.name)) } };
      report = await this.acts.verifyCluster.executeWithOptions(
        { summary: 'verify: nodes Ready, etcd health and members, healthz via LB/VIP, failover drill, test deployment' },
        [this.specs.arg(spec)],
      );
    } catch (err) {
      report = { ok: false, checks: [{ name: phase.name, ok: false, detail: describeFailure(err).message }] };
    }
    this.progress.verification = report;
    applyChecks(phaseOf(this.progress, phase.name), report);
    return report;
  }

  async runThen(phase: PlannedPhase): Promise<void> {
    try {
      const got = await this.acts.fetchKubeconfig.executeWithOptions({ summary: `${phase.name} ${this.plan.master0}: fetch admin.conf` }, [
        this.specs.arg(this.spec),
      ]);
      this.kubeconfig = got;
      // Recorded histories return the path the activity wrote on its worker.
      if (typeof got === 'string') this.progress.kubeconfig = got;
      else this.progress.kubeconfigFetched = true;
    } catch (err) {
      throw new Error(describeFailure(err).message);
    }
  }

  async gate(phase: PlannedPhase, host: string): Promise<HealthReport> {
    // Runs recorded before the gate existed replay without it.
    if (!patched(GATE_PATCH)) return { ok: true, checks: [] };
    try {
      return await compensationActivitiesFor(this.options).checkControlPlane.executeWithOptions(
        { summary: `${phase.name} ${host}: health gate (etcd quorum, apiserver /readyz on master0 and ${host})` },
        [{ ...this.specs.arg(this.spec), host }],
      );
    } catch (err) {
      return { ok: false, checks: [{ name: 'control plane', ok: false, detail: describeFailure(err).message }] };
    }
  }

  /** Join credentials from master0, renewed by age (runner.credentialsToRefresh). */
  async credentials(secrets: RuntimeValueName[]): Promise<RuntimeSecrets> {
    const now = workflowNow();
    const c = this.creds;
    const o = this.options;
    const maxAge = o?.credentialMaxAgeMs;
    const want = credentialsToRefresh(secrets, { tokenAt: c.joinToken ? c.tokenAt : undefined, certKeyAt: c.certificateKey ? c.certKeyAt : undefined }, now, maxAge);
    if (want.call) {
      const what = [want.newToken ? 'kubeadm token create --print-join-command' : '', want.uploadCerts ? 'kubeadm init phase upload-certs --upload-certs' : '']
        .filter(Boolean)
        .join(' + ') || 'check uploaded certs and token';
      let got: JoinCredentials;
      try {
        got = await this.acts.ensureJoinCredentials.executeWithOptions({ summary: `${this.plan.master0}: ${what}` }, [
          { ...this.specs.arg(this.spec), newToken: want.newToken, uploadCerts: want.uploadCerts },
        ]);
      } catch (err) {
        if (isCancellation(err) || !patched(CREDENTIALS_WAIT_PATCH)) throw err;
        throw new CredentialsUnavailable(describeFailure(err).message);
      }
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
    return this.runtime(secrets);
  }

  /** Parks the run until retry, skip-of-every-failed-host or abort. */
  async waitForOperator(waiting: WaitingFor): Promise<void> {
    const phase = phaseOf(this.progress, waiting.phase);
    this.progress.state = 'waiting';
    this.progress.waiting = waiting;
    phase.status = 'waiting';
    this.decision = undefined;
    this.publish();
    await condition(() => this.decision !== undefined || this.abort);
    this.progress.waiting = undefined;
    if (this.abort) throw new AbortRequested();
    this.progress.state = 'running';
    phase.status = 'running';
    this.publish();
  }

  // --- the rest ------------------------------------------------------------------------------

  /** Only what the phase declared: a worker join never sees the certificate key. */
  private runtime(secrets: readonly RuntimeValueName[]): RuntimeSecrets {
    const r: RuntimeSecrets = {};
    for (const name of secrets) {
      const v = this.creds[name];
      if (v) r[name] = v;
    }
    return r;
  }

  private installHandlers(): void {
    const p = this.progress;
    // Compacted per answer: queries are not in history, so replay is unaffected.
    setHandler(progressQuery, () => progressAnswer(p) as Progress);
    setHandler(hostQuery, (host: string): HostDetail => hostDetail(p, host));
    setHandler(kubeconfigQuery, () => this.kubeconfig);
    setHandler(
      retryUpdate,
      () => {
        this.decision = 'retry';
        return `retrying ${p.waiting?.phase ?? ''} on ${p.waiting?.hosts.join(', ') || p.cluster}`;
      },
      {
        validator: () => {
          this.refuseWhileAborting('retry');
          if (p.state !== 'waiting') throw new Error(`${p.cluster} is not waiting for the operator (state: ${p.state})`);
        },
      },
    );
    setHandler(
      skipUpdate,
      (host: string) => {
        this.skippedHosts.add(host);
        const w = p.waiting as WaitingFor;
        w.hosts = w.hosts.filter((h) => h !== host);
        const h = phaseOf(p, w.phase).hosts.find((x) => x.host === host);
        if (h) h.status = 'skipped';
        if (w.hosts.length === 0) this.decision = 'continue';
        return `skipped ${host}; the run carries on without it`;
      },
      {
        validator: (host: string) => {
          this.refuseWhileAborting('skip');
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
        this.abort = true;
        return p.state === 'waiting'
          ? `aborting ${p.cluster}: running the reverse cleanup`
          : `aborting ${p.cluster} after the current step: then the reverse cleanup runs`;
      },
      {
        validator: () => {
          if (p.state === 'done' || p.state === 'aborted' || p.state === 'aborting' || p.state === 'failed') {
            throw new Error(`${p.cluster} cannot be aborted: the run is ${p.state}`);
          }
          if (this.abort) throw new Error(`${p.cluster} is already aborting`);
        },
      },
    );
  }

  /** An abort is final: once asked for, retry and skip would only race the reverse cleanup. */
  private refuseWhileAborting(what: 'retry' | 'skip'): void {
    if (this.abort || this.progress.state === 'aborting' || this.progress.state === 'aborted') {
      throw new Error(`cannot ${what} ${this.progress.cluster}: an abort is pending (the reverse cleanup runs, then the run ends); deploy again afterwards`);
    }
  }

  /**
   * `kubeadm token delete` for every bootstrap token this run made (by the description
   * ensureJoinCredentials gives them), so none stays valid for its 24 h. A failure is reported,
   * not fatal: the cluster is built, the token expires on its own.
   */
  private async deleteRunTokens(): Promise<string | undefined> {
    if (!this.plan.phases.some((p) => !p.skipped && p.run.secrets.includes('joinToken'))) return undefined;
    try {
      await compensationActivitiesFor(this.options).deleteRunTokens.executeWithOptions({ summary: `${this.plan.master0}: kubeadm token delete (this run's join tokens)` }, [
        this.specs.arg(this.spec),
      ]);
      return undefined;
    } catch (err) {
      return `deleting this run's join tokens failed (they expire within 24 h): ${describeFailure(err).message}`;
    }
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

  /**
   * abort: undo what the run did on the hosts of phases with an undo, newest first (hosts it
   * found already built are left alone), then run
   * the phases marked onAbort (transient artifacts: tokens, uploaded certs, staged secrets).
   * master0 is never undone: an abort, like a compensation, must not break the one node the
   * cluster stands on.
   */
  private async reverseCleanup(why: 'aborted' | 'cancelled' = 'aborted'): Promise<void> {
    this.progress.state = 'aborting';
    this.progress.waiting = undefined;
    this.publish('aborting');
    const comp = compensationActivitiesFor(this.options);
    const undoOf = new Map<string, NonNullable<PlannedPhase['run']['undo']>>();
    const touched: string[] = [];
    for (const phase of this.plan.phases) {
      const undo = phase.run.undo;
      if (!undo || phase.skipped) continue;
      for (const h of phaseOf(this.progress, phase.name).hosts) {
        if (h.status === 'pending' || h.status === 'skipped' || touched.includes(h.host)) continue;
        // Its first step was already done when this run came: the host was built before (an
        // apply, a second deploy) and is not this run's to undo.
        if (h.steps[0]?.status === 'already') continue;
        touched.push(h.host);
        undoOf.set(h.host, undo);
      }
    }
    const errors: string[] = [];
    for (const host of touched.filter((h) => h !== this.plan.master0).reverse()) {
      const act = comp[undoOf.get(host) as 'compensateMaster' | 'compensateWorker'];
      try {
        await act.executeWithOptions({ summary: `abort ${host}: kubeadm reset -f, remove member, node and backend` }, [{ ...this.specs.arg(this.spec), host }]);
      } catch (err) {
        errors.push(`cleanup of ${host} failed: ${describeFailure(err).message}`);
      }
    }
    for (const phase of this.plan.phases.filter((p) => p.run.onAbort && !p.skipped)) {
      for (const host of phase.hosts) {
        try {
          await comp.runHostPhase.executeWithOptions({ summary: summaryFor(this.plan, phase.name, host) }, [
            { ...this.specs.arg(this.spec), phase: phase.name, host, runtime: phase.run.secrets.length ? this.runtime(phase.run.secrets) : undefined },
          ]);
        } catch (err) {
          errors.push(`${phase.name} on ${host} failed: ${describeFailure(err).message}`);
        }
      }
    }
    if (patched(DELETE_TOKENS_PATCH)) {
      const left = await this.deleteRunTokens();
      if (left) errors.push(left);
    }
    if (why === 'cancelled') errors.unshift('the run was cancelled');
    if (errors.length) this.progress.error = errors.join('; ');
    this.progress.state = 'aborted';
    this.publish('aborted');
  }
}

/** Workflow time: the sandbox's clock is the workflow task's start time, identical on replay. */
function workflowNow(): number {
  return new Date().getTime();
}
