/**
 * The cluster's lock: one action (deploy, apply, reset) at a time per cluster. Before an
 * action starts, the client starts the cluster's lock workflow (`hakube/<cluster>/lock`,
 * workflows/lock.ts) with the conflict policy FAIL: the server lets exactly one of two
 * actions started at once through, whatever visibility says. The lock names its holder and
 * ends once that run closes; a lock left by a holder that has closed (or never started, past a
 * grace) is taken over by terminating that very lock run. Actions started without the lock (an
 * older client) are still found by the HakubeCluster search attribute every action carries.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { CliError, EXIT } from '../exit';
import { TASK_QUEUE } from '../temporal/task-queue';
import { HOLDER_START_GRACE_MS } from '../workflows/defs';
import type { LockInput } from '../workflows/lock';

/** The workflow type of each locking action. */
export const ACTION_WORKFLOWS = { deploy: 'deployCluster', apply: 'applyCluster', reset: 'resetCluster', 'renew-certs': 'renewCerts' } as const;
export type LockingAction = keyof typeof ACTION_WORKFLOWS;

export const actionWorkflowId = (cluster: string, action: LockingAction): string => `hakube/${cluster}/${action}`;

export interface RunningAction {
  action: LockingAction;
  workflowId: string;
  startTime?: Date;
}

export async function runningActions(client: Client, cluster: string): Promise<RunningAction[]> {
  const byType = new Map<string, LockingAction>(Object.entries(ACTION_WORKFLOWS).map(([a, t]) => [t, a as LockingAction]));
  const out: RunningAction[] = [];
  // The cluster name is a DNS label (validated), so it needs no quoting beyond the literal.
  for await (const w of client.workflow.list({ query: `HakubeCluster = "${cluster}" AND ExecutionStatus = "Running"` })) {
    const action = byType.get(w.type);
    if (action) out.push({ action, workflowId: w.workflowId, startTime: w.startTime });
  }
  return out;
}

/** Refuses (exit 2) when another action runs on the cluster, naming it. */
export async function assertUnlocked(client: Client, cluster: string, wanted: LockingAction): Promise<void> {
  const running = await runningActions(client, cluster);
  if (running.length === 0) return;
  const r = running[0];
  const since = r.startTime ? ` since ${r.startTime.toISOString()}` : '';
  throw new CliError(
    `cannot ${wanted} ${cluster}: the cluster is locked by its running ${r.action} (${r.workflowId}${since}); follow it with \`hakube status ${cluster} --watch\`, or end it with \`hakube abort ${cluster}\` first`,
    EXIT.BAD_INPUT,
  );
}

export const lockWorkflowId = (cluster: string): string => `hakube/${cluster}/lock`;

interface LockMemo {
  action?: string;
  holder?: string;
}

function lockedBy(cluster: string, wanted: string, action: string, holder: string, since?: Date): CliError {
  const at = since ? ` since ${since.toISOString()}` : '';
  return new CliError(
    `cannot ${wanted} ${cluster}: the cluster is locked by its running ${action} (${holder}${at}); follow it with \`hakube status ${cluster} --watch\`, or end it with \`hakube abort ${cluster}\` first`,
    EXIT.BAD_INPUT,
  );
}

/**
 * Takes the cluster's lock for `holder` (the action's workflow id), atomically, or refuses
 * (exit 2) naming the action that holds it. Then checks visibility for actions started
 * without the lock. `graceMs`: how long a lock whose holder has not started yet is respected.
 */
export async function acquireLock(client: Client, cluster: string, action: LockingAction, holder: string, graceMs = HOLDER_START_GRACE_MS): Promise<void> {
  const lockId = lockWorkflowId(cluster);
  for (let attempt = 0; ; attempt++) {
    const since = Date.now();
    const input: LockInput = { cluster, action, holder, since };
    try {
      await client.workflow.start('clusterLock', {
        taskQueue: TASK_QUEUE,
        workflowId: lockId,
        args: [input],
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        memo: { action, holder } satisfies LockMemo,
        staticSummary: `lock of ${cluster}: ${action} (${holder})`,
      });
      break;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError) || attempt > 0) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) throw new CliError(`cannot ${action} ${cluster}: another client took its lock at the same moment; try again`, EXIT.BAD_INPUT);
        throw err;
      }
    }
    const lock = await client.workflow.getHandle(lockId).describe();
    const memo = (lock.memo ?? {}) as LockMemo;
    const held = memo.holder ?? '(unknown)';
    const run = await describeOrUndefined(client, held);
    const holderIsOurs = run !== undefined && run.startTime.getTime() >= lock.startTime.getTime() - 1000;
    if (holderIsOurs && run.status.name === 'RUNNING') throw lockedBy(cluster, action, memo.action ?? 'action', held, run.startTime);
    if (!holderIsOurs && Date.now() - lock.startTime.getTime() < graceMs) throw lockedBy(cluster, action, `${memo.action ?? 'action'} that is starting`, held, lock.startTime);
    // Its holder has closed or never started: that lock run is stale. Only that run is ended,
    // so a lock another client took in the meantime stays.
    await client.workflow.getHandle(lockId, lock.runId).terminate(`stale: ${held} is not running; taken over by ${holder}`).catch(() => undefined);
  }
  try {
    const others = (await runningActions(client, cluster)).filter((r) => r.workflowId !== holder);
    if (others.length) throw lockedBy(cluster, action, others[0].action, others[0].workflowId, others[0].startTime);
  } catch (err) {
    await releaseLock(client, cluster);
    throw err;
  }
}

/** Lets go of the lock (its action did not start after all). */
export async function releaseLock(client: Client, cluster: string): Promise<void> {
  await client.workflow.getHandle(lockWorkflowId(cluster)).signal('release').catch(() => undefined);
}

async function describeOrUndefined(client: Client, workflowId: string) {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return undefined;
    throw err;
  }
}
