/**
 * The plan: what hakube will do, phase by phase and host by host. It is computed from a
 * validated spec with no I/O (src/spec -> src/phases -> here), printed by `hakube plan`, and
 * executed step by step by the deploy workflows' activities. Keep this module free of Node
 * built-ins: workflow code may import it.
 */
export const PHASES = ['prep', 'etcd', 'lb', 'init', 'join-masters', 'join-workers', 'verify', 'cleanup'] as const;
/** reset undoes a cluster in the reverse order of the build. */
export const RESET_PHASES = ['reset-workers', 'reset-masters', 'reset-lb', 'reset-etcd'] as const;
export type DeployPhaseName = (typeof PHASES)[number];
/** apply's removals, before the new spec's deploy phases. */
export const REMOVAL_PHASES = ['drain', 'remove-backends', 'remove-members', 'remove-hosts', 'forget-nodes'] as const;
/** Certificate renewal: an external etcd member by member, one control plane at a time, then verify. */
export const RENEW_PHASES = ['renew-etcd', 'renew-certs'] as const;
export type PhaseName = DeployPhaseName | (typeof RESET_PHASES)[number] | (typeof REMOVAL_PHASES)[number] | (typeof RENEW_PHASES)[number];

/** The actions one runner executes; each is an ordered list of phases. */
export const ACTIONS = ['deploy', 'apply', 'reset'] as const;
export type ActionName = (typeof ACTIONS)[number];

/**
 * Values only known while the run goes on. A command word may contain `{{name}}`; the executor
 * substitutes it on the host side and never logs the result.
 */
export const RUNTIME_VALUES = ['joinToken', 'certificateKey', 'caCertHash'] as const;
export type RuntimeValueName = (typeof RUNTIME_VALUES)[number];

/** A file a step writes (only when the host's copy differs), before the step's commands run. */
export interface PlannedFile {
  path: string;
  /** Octal, e.g. "0644". */
  mode: string;
  content: string;
  /** Masked in plan output and logs; removed again by the cleanup phase when `transient`. */
  secret?: boolean;
  transient?: boolean;
  /**
   * Copy the file from another host instead of writing `content` (which is then empty): the
   * executor reads `from.path` on `from.host` (over that host's own connection) and writes it
   * here with `mode`, again only when different. Used to hand the external etcd certificates,
   * made once on the first etcd member, to the other members and control planes. The source
   * host's step runs in an earlier phase or earlier in the same phase (concurrency 1).
   */
  from?: { host: string; path: string };
  /**
   * `content` holds `{{name}}` runtime values (see RUNTIME_VALUES), filled on the worker when the
   * file is written. Such a file is written only once the check says the commands must run, and
   * removed again right after them: secrets reach a command through it, never through argv.
   */
  runtime?: boolean;
}

/**
 * One command as an argv vector. The executor shell-quotes every word; nothing is pasted raw
 * into a shell. Scripts that need a pipeline are written as a file first and run by path.
 */
export interface PlannedCommand {
  argv: string[];
  /** Exit codes that count as success (default [0]). */
  okExitCodes?: number[];
  /**
   * The command may run long (kubeadm init/join/reset, package installs): it runs detached on the
   * host, outliving the SSH connection and the worker; a later attempt re-attaches to it or reads
   * its result, and a per-host, per-step flock keeps two copies from ever running at once.
   */
  long?: boolean;
}

export interface PlannedStep {
  /** Stable for a given spec: `<phase>/<host>/<slug>`. Progress and logs are keyed by it. */
  id: string;
  phase: PhaseName;
  host: string;
  /** Reads as a runbook line, e.g. "kubeadm join --control-plane". */
  title: string;
  files: PlannedFile[];
  /** Exit 0 on the host means the step's effect is already there: the commands are skipped. */
  check?: PlannedCommand;
  commands: PlannedCommand[];
  /**
   * How long the whole step may take before it counts as hung: it is then stopped on the host and
   * fails as a retryable `StepHang`. kubeadm steps take kubeadm's own v1beta4 timeouts plus a margin.
   */
  timeoutSeconds?: number;
}

/** A step's bound unless it says otherwise: generous for host commands, tight enough to catch a hang. */
export const DEFAULT_STEP_TIMEOUT_SECONDS = 600;

/**
 * How the runner executes a phase. The runner reads only this: no phase name is special to it.
 */
export interface PhaseRun {
  /**
   * host: one activity per host, bounded by the phase's concurrency;
   * child: one child workflow per host (joinMaster / joinWorker), its failure undone on that host;
   * cluster: one activity for the whole cluster (verify), reported check by check.
   */
  kind: 'host' | 'child' | 'cluster';
  /** Runtime values the phase's hosts receive (least privilege: nothing else is sent). */
  secrets: RuntimeValueName[];
  /** The child workflow a `child` phase runs per host. */
  child?: 'joinMaster' | 'joinWorker' | 'renewMaster';
  /** The undo for one host of this phase (compensation, and abort's reverse cleanup). */
  undo?: 'compensateMaster' | 'compensateWorker';
  /** Must pass after each host before the next starts: master0's apiserver /readyz (etcd quorum) and the new control plane's. */
  gate?: 'control-plane';
  /** The operator may leave a failed host out and carry on. */
  skippable?: boolean;
  /** An (idempotent) phase run again after an undo, before the retry: the undo took the host out of it. */
  redoAfterUndo?: PhaseName;
  /** One cluster-level activity after the hosts are done (init: fetch admin.conf). */
  then?: 'fetchKubeconfig';
  /** Also runs when the action is aborted, after the undos (transient secrets go either way). */
  onAbort?: boolean;
}

export interface PlannedPhase {
  name: PhaseName;
  /** What the phase does, as the plan printout heads it. */
  title: string;
  run: PhaseRun;
  skipped: boolean;
  /** Why a skipped phase does not apply (e.g. "etcd is stacked: kubeadm runs it"). */
  reason?: string;
  /** Hosts in the order they are taken. */
  hosts: string[];
  /** How many hosts run at once: 1 for join-masters (quorum), bounded for workers. */
  concurrency: number;
  steps: PlannedStep[];
}

export interface Plan {
  cluster: string;
  /** The first control-plane host in file order. */
  master0: string;
  phases: PlannedPhase[];
}
