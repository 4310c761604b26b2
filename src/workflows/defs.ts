/**
 * The deploy workflow's public surface: the progress query, the operator updates and the
 * shapes they exchange. The CLI imports this module too, so it holds definitions and plain
 * types only (no workflow-only calls at module load).
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { PhaseName } from '../plan/types';
import type { Secret } from '../temporal/secret';

export type StepStatus = 'pending' | 'running' | 'done' | 'already' | 'failed' | 'skipped';
export type HostStatus = 'pending' | 'running' | 'done' | 'failed' | 'compensated' | 'skipped';
export type PhaseStatus = 'pending' | 'running' | 'done' | 'skipped' | 'failed' | 'waiting';
export type RunState = 'running' | 'waiting' | 'done' | 'failed' | 'aborting' | 'aborted';

export interface StepProgress {
  id: string;
  title: string;
  status: StepStatus;
  /** How many activity attempts ran this step's commands (0 while pending or already done). */
  attempts: number;
  lastError?: string;
  /** Masked stdout/stderr tail of the last run. */
  tail?: string;
}

export interface HostProgress {
  host: string;
  status: HostStatus;
  /** Activity attempts of the host's phase run, as last reported. */
  attempts: number;
  lastError?: string;
  /** Where the live activity runs (parent or child workflow), for `hakube status` to describe it. */
  workflowId?: string;
  /** Workflow time (epoch ms) of this host's latest start in the phase, and of its end. */
  startedAt?: number;
  endedAt?: number;
  steps: StepProgress[];
}

export interface PhaseProgress {
  name: PhaseName;
  status: PhaseStatus;
  reason?: string;
  /** Workflow time (epoch ms) the phase started and ended: the board's elapsed time and estimate. */
  startedAt?: number;
  endedAt?: number;
  hosts: HostProgress[];
}

/** What the run waits for the operator about, and which answers are accepted. */
export interface WaitingFor {
  phase: PhaseName;
  /** Hosts whose work failed and was compensated. */
  hosts: string[];
  error: string;
  allowed: Array<'retry' | 'skip' | 'abort'>;
  /** Health of master0 and etcd after compensation, when a master join failed. */
  health?: HealthReport;
}

export interface HealthCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** The tools' own output behind the check (masked, clipped): `hakube logs` shows it. */
  output?: string;
  /** The verify step behind the check, when it is one: progress marks that step. */
  stepId?: string;
  host?: string;
}

export interface HealthReport {
  ok: boolean;
  checks: HealthCheck[];
}

export interface Progress {
  cluster: string;
  master0: string;
  state: RunState;
  phase?: PhaseName;
  waiting?: WaitingFor;
  phases: PhaseProgress[];
  verification?: HealthReport;
  /** Runs recorded before admin.conf travelled as a secret: its path on the worker that fetched it. */
  kubeconfig?: string;
  /** admin.conf was fetched: the client writes it from the `kubeconfig` query or the result. */
  kubeconfigFetched?: boolean;
  error?: string;
}

/**
 * admin.conf's content as a secret (encrypted by the codec, so every worker and the operator
 * get it from the server rather than from one worker's disk), or, in runs recorded before, a path.
 */
export type Kubeconfig = Secret<string> | string;

export interface DeployResult {
  cluster: string;
  state: 'done' | 'aborted';
  verification?: HealthReport;
  kubeconfig?: Kubeconfig;
  skipped: string[];
  /**
   * The run's last progress, in the compact wire form at any size (src/client/progress.ts
   * expands it; quiet done hosts without their output tails): a finished run's board without a
   * worker replaying its history. Runs recorded before it end without it.
   */
  progress?: Progress;
}

/** One host's full record in every phase it takes part in (steps with their output tails). */
export interface HostDetail {
  host: string;
  phases: Array<{ phase: PhaseName; progress: HostProgress }>;
}

/**
 * The run's progress; above COMPACT_ABOVE_HOSTS hosts in its compact wire form
 * (workflows/compact.ts): the declared type is the full record the client sees once
 * src/client/progress.ts has expanded it.
 */
export const progressQuery = defineQuery<Progress>('progress');
/** One host's full detail: `status --host` and `logs --host` (the progress query leaves quiet hosts' tails out). */
export const hostQuery = defineQuery<HostDetail, [host: string]>('host');
/** admin.conf once fetched, apart from `progress` so that progress stays readable in the Web UI. */
export const kubeconfigQuery = defineQuery<Kubeconfig | undefined>('kubeconfig');
/** Try the failed hosts again (only while waiting). */
export const retryUpdate = defineUpdate<string, []>('retry');
/** Give up on one failed worker and carry on without it (workers only, only while waiting). */
export const skipUpdate = defineUpdate<string, [host: string]>('skip');
/** Run the reverse cleanup and end the run. */
export const abortUpdate = defineUpdate<string, []>('abort');

export const deployWorkflowId = (cluster: string): string => `hakube/${cluster}/deploy`;

export { HAKUBE_CLUSTER, HAKUBE_PHASE } from '../temporal/search-attributes';

/** Memo kept current by the workflow so `hakube list` needs no worker to show a run's state. */
export interface DeployMemo {
  state: RunState;
  phase?: string;
  waitingOn?: string;
}

/** How long a cluster lock whose holder has not started yet is respected (its client may still be starting it). */
export const HOLDER_START_GRACE_MS = 60_000;
