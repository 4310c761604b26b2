/**
 * clusterLock: the cluster's lock as a run sees it from inside. A scheduled renewal starts with
 * no CLI to refuse it, so the run itself asks Temporal's visibility (through the worker's own
 * client) which other locking actions are running on its cluster.
 */
import { Context } from '@temporalio/activity';
import { runningActions } from '../client/lock';

export async function clusterLock(input: { cluster: string; self: string }): Promise<string[]> {
  const running = await runningActions(Context.current().client, input.cluster);
  return running.filter((r) => r.workflowId !== input.self).map((r) => `${r.action} (${r.workflowId})`);
}
