/**
 * Starting a locking action (deploy, apply, reset, renew-certs): its run is
 * `hakube/<cluster>/<action>` with the conflict policy FAIL, so a second start of the same
 * action is refused by the server, and it carries the search attributes status and the lock's
 * visibility check find it by.
 */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { CliError, EXIT } from '../exit';
import { TASK_QUEUE } from '../temporal/task-queue';
import { HAKUBE_CLUSTER, HAKUBE_PHASE } from '../workflows/defs';
import { ACTION_WORKFLOWS, actionWorkflowId, acquireLock, assertUnlocked, releaseLock, type LockingAction } from './lock';

/** The attributes every hakube run carries: its cluster (the lock's visibility check, status) and phase. */
export const clusterAttributes = (cluster: string, phase: string) => [
  { key: HAKUBE_CLUSTER, value: cluster },
  { key: HAKUBE_PHASE, value: phase },
];

export interface ActionStart<I> {
  input: I | (() => Promise<I>);
  summary: string;
  /** The refusal when the same action already runs. */
  alreadyRunning: (workflowId: string) => string;
  /**
   * 'acquire' takes the cluster's lock before the start and lets go of it when the start fails.
   * 'visibility' only refuses when another action runs: a renewal takes the lock from inside
   * its run (a scheduled one has no client to take it), so the client must not hold it.
   */
  lock?: 'acquire' | 'visibility';
}

export async function startAction<I>(client: Client, cluster: string, action: LockingAction, start: ActionStart<I>): Promise<WorkflowHandle> {
  const workflowId = actionWorkflowId(cluster, action);
  const acquire = (start.lock ?? 'acquire') === 'acquire';
  if (acquire) await acquireLock(client, cluster, action, workflowId);
  else await assertUnlocked(client, cluster, action);
  try {
    const input = typeof start.input === 'function' ? await (start.input as () => Promise<I>)() : start.input;
    return await client.workflow.start(ACTION_WORKFLOWS[action], {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [input],
      // One run per cluster and action at a time; a finished run may be redone.
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: clusterAttributes(cluster, 'start'),
      staticSummary: start.summary,
    });
  } catch (err) {
    if (acquire) await releaseLock(client, cluster);
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw new CliError(start.alreadyRunning(workflowId), EXIT.BAD_INPUT);
    throw err;
  }
}
