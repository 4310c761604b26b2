/**
 * The activities' inputs and results. Workflow code imports this file as types only; the
 * values that cross it are small (host names, step ids, masked output tails) except the spec,
 * which each activity uses to recompute its host's steps instead of shipping the plan around.
 */
import type { PhaseName, RuntimeValueName } from '../plan/types';
import type { ActionRef } from '../plan/actions';
import type { CertReport } from '../certs/expiry';
import type { SnapshotInput, SnapshotResult } from './etcd-snapshot';
import type { Secret } from '../temporal/secret';
import type { Cluster } from '../spec/types';
import type { HealthReport, Kubeconfig } from '../workflows/defs';
import type { ObservedCluster } from '../plan/observed';

/** The validated, defaulted cluster spec (src/spec): small, and every activity replans from it. */
export type SpecInput = Cluster;

/**
 * Where a workflow's spec is, instead of the spec itself: a run of N hosts makes ~8N activity
 * calls and N children, so carrying the spec (O(N)) in each would grow history with N². The
 * spec is stored once, in the root workflow's input, and each worker reads it once through
 * that workflow's `spec` query; `fingerprint` (of its JSON) names the version and is checked.
 */
export interface SpecRef {
  workflowId: string;
  runId: string;
  fingerprint: string;
}

/** How an input names its spec on the wire: inline (runs recorded before SpecRef) or by reference. */
export type SpecArg = { spec: SpecInput; specRef?: undefined } | { specRef: SpecRef; spec?: undefined };

/** An activity input as it travels: its `spec` may be a SpecRef. */
export type Wire<T extends { spec: SpecInput }> = Omit<T, 'spec'> & SpecArg;

/** apply's action as it travels: the previous spec by reference too. */
export type WireAction = ActionRef | { action: 'apply'; previousRef: SpecRef };

/** Runtime values for `{{name}}` placeholders, always wrapped so the codec encrypts them. */
export type RuntimeSecrets = Partial<Record<RuntimeValueName, Secret<string>>>;

export interface HostPhaseInput {
  spec: SpecInput;
  phase: PhaseName;
  host: string;
  runtime?: RuntimeSecrets;
  /** The action whose plan holds the phase (default deploy). */
  action?: ActionRef;
}

export interface StepOutcome {
  id: string;
  /** `already`: the step's check said its effect was there, so no command ran. */
  status: 'done' | 'already';
  attempts: number;
  tail: string;
}

export interface HostPhaseResult {
  host: string;
  phase: PhaseName;
  steps: StepOutcome[];
}

/** Carried in the ApplicationFailure details of a failed host phase run. */
export interface StepFailureDetails {
  stepId: string;
  stepIndex: number;
  tail: string;
  /** How many activity attempts have tried this step, the failed one included. */
  attempt: number;
}

/** What `runHostPhase` heartbeats: a retry resumes at `stepIndex`. */
export interface HostPhaseHeartbeat {
  /** Which host's run this is, for `hakube status` reading several pending activities. */
  host?: string;
  stepIndex: number;
  /** Per step, the activity attempt in which it was first tried (0: not yet). */
  startedAt: number[];
  /** Outcomes of the steps already finished, so a resumed attempt still reports them. */
  done: StepOutcome[];
  tail: string;
}

export interface JoinCredentialsInput {
  spec: SpecInput;
  /** Create a new bootstrap token (none yet, or close to its 24h TTL). */
  newToken: boolean;
  /** Upload the control-plane certs again under a new key (none yet, or close to the 2h TTL). */
  uploadCerts: boolean;
  /** Leave the uploaded certs alone even when master0 lacks them (a worker's join command needs none). */
  noCerts?: boolean;
}

export interface JoinCredentials {
  joinToken?: Secret<string>;
  caCertHash?: Secret<string>;
  certificateKey?: Secret<string>;
  /** True when the certs were (re)uploaded by this call, e.g. because master0 had lost them. */
  certsUploaded: boolean;
  tokenCreated: boolean;
}

export interface CompensateInput {
  spec: SpecInput;
  host: string;
}

export interface CompensateResult {
  host: string;
  steps: StepOutcome[];
}

export interface ClusterInput {
  spec: SpecInput;
}

export interface ControlPlaneInput {
  spec: SpecInput;
  /** A control plane that just joined: its own apiserver must be ready too (the health gate). */
  host?: string;
}

export type { HealthReport };

/** Every activity the deploy workflows call; `createActivities(deps)` implements it. */
export interface HakubeActivities {
  runHostPhase(input: WireHostPhaseInput): Promise<HostPhaseResult>;
  ensureJoinCredentials(input: Wire<JoinCredentialsInput>): Promise<JoinCredentials>;
  compensateMaster(input: Wire<CompensateInput>): Promise<CompensateResult>;
  compensateWorker(input: Wire<CompensateInput>): Promise<CompensateResult>;
  /** master0's apiserver and the etcd quorum (and a new control plane's apiserver): after a compensation, and as the gate after each master. */
  checkControlPlane(input: Wire<ControlPlaneInput>): Promise<HealthReport>;
  verifyCluster(input: Wire<ClusterInput>): Promise<HealthReport>;
  /** `kubeadm token delete` on master0 for the bootstrap tokens this run made. */
  deleteRunTokens(input: Wire<ClusterInput>): Promise<{ deleted: string[] }>;
  /** admin.conf from master0, as a secret the client writes (no worker's disk holds it). */
  fetchKubeconfig(input: Wire<ClusterInput>): Promise<Kubeconfig>;
  /** The cluster as it is (Nodes, etcd members, backend lists), read before apply diffs. */
  observeCluster(input: ClusterInput): Promise<ObservedCluster>;
  /** The cluster lock's wait: returns once the action holding it has closed (or never started). */
  awaitActionEnd(input: { holder: string; since: number }): Promise<string>;
}

export type WireHostPhaseInput = Omit<HostPhaseInput, 'spec' | 'action'> & SpecArg & { action?: WireAction };

/** The day-2 activities of certificates and etcd snapshots (a worker registers both sets). */
export interface CertActivities {
  /** Every certificate's expiry, from kubeadm on control planes and openssl elsewhere. */
  checkCertificates(input: ClusterInput): Promise<CertReport>;
  /** Takes the cluster's lock for `self` (a scheduled run has no CLI to take it); the holder's name when another action has it. */
  clusterLock(input: { cluster: string; self: string }): Promise<string[]>;
  /** An etcd snapshot from a healthy member into the worker's store, then retention. */
  etcdSnapshot(input: SnapshotInput): Promise<SnapshotResult>;
}
