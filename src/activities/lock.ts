/**
 * The cluster lock's activities. awaitActionEnd: wait until the action holding the lock has
 * closed. It asks Temporal (the worker's own client), heartbeating, so a lock whose worker died
 * is picked up by another worker and one whose action never started (its client died in
 * between) goes. clusterLock: a run that starts with no CLI in front of it (a scheduled
 * renewal) takes the same lock from inside, atomically, as the CLI does for the others.
 */
import { Context } from '@temporalio/activity';
import { CliError } from '../exit';
import { acquireLock, lockWorkflowId } from '../client/lock';
import { HOLDER_START_GRACE_MS } from '../workflows/defs';

/** Takes the lock for `self`; the refusal's words when another action holds it. */
export async function clusterLock(input: { cluster: string; self: string }): Promise<string[]> {
  const ctx = Context.current();
  if (await heldByThisRun(input)) return [];
  try {
    await acquireLock(ctx.client, input.cluster, 'renew-certs', input.self);
    return [];
  } catch (err) {
    // "deploy (hakube/x/deploy since ...)" out of the CLI's refusal, for the run's own message.
    if (err instanceof CliError) return [/locked by its running (.+?); follow/.exec(err.message)?.[1] ?? err.message];
    throw err;
  }
}

/**
 * The lock already names this workflow id. Taken after this run began: it is this run's own
 * (a retry of this activity after the start went through). Taken before: it was the previous
 * run of the same id, which has closed (this one could not start otherwise) and whose lock has
 * not noticed yet, so that lock run is ended as stale and the lock taken afresh.
 */
async function heldByThisRun(input: { cluster: string; self: string }): Promise<boolean> {
  const ctx = Context.current();
  const handle = ctx.client.workflow.getHandle(lockWorkflowId(input.cluster));
  const lock = await handle.describe().catch(() => undefined);
  if (!lock || lock.status.name !== 'RUNNING' || (lock.memo as { holder?: string } | undefined)?.holder !== input.self) return false;
  const runId = ctx.info.workflowExecution?.runId;
  if (!runId) return false;
  const me = await ctx.client.workflow.getHandle(input.self, runId).describe();
  if (lock.startTime.getTime() >= me.startTime.getTime() - 1000) return true;
  await ctx.client.workflow.getHandle(lockWorkflowId(input.cluster), lock.runId).terminate(`stale: the previous ${input.self} has closed`).catch(() => undefined);
  return false;
}

export interface AwaitActionEndInput {
  holder: string;
  since: number;
}

const POLL_MS = 5_000;

export async function awaitActionEnd(input: AwaitActionEndInput): Promise<string> {
  const ctx = Context.current();
  for (;;) {
    let d;
    try {
      d = await ctx.client.workflow.getHandle(input.holder).describe();
    } catch (err) {
      if ((err as Error).name !== 'WorkflowNotFoundError') throw err;
    }
    const ours = d !== undefined && d.startTime.getTime() >= input.since - 1000;
    if (ours && d!.status.name !== 'RUNNING') return `${input.holder} ${d!.status.name.toLowerCase()}`;
    if (!ours && Date.now() - input.since > HOLDER_START_GRACE_MS) return `${input.holder} never started`;
    ctx.heartbeat();
    await ctx.sleep(POLL_MS);
  }
}
