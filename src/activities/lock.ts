/**
 * The cluster lock's one activity: wait until the action holding the lock has closed. It asks
 * Temporal (the worker's own client), heartbeating, so a lock whose worker died is picked up
 * by another worker and one whose action never started (its client died in between) goes.
 */
import { Context } from '@temporalio/activity';
import { HOLDER_START_GRACE_MS } from '../workflows/defs';

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
