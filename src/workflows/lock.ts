/**
 * clusterLock: the cluster's lock as a workflow. Its id is derived from the cluster name
 * (`hakube/<cluster>/lock`) and the client starts it with the conflict policy FAIL before it
 * starts an action, so of two actions started at once exactly one gets the lock: the server
 * decides, with no visibility lag. The lock names its holder (the action's workflow id) in
 * its memo, and lets go once that run has closed.
 */
import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { HakubeActivities } from '../activities/types';

export interface LockInput {
  cluster: string;
  action: string;
  /** The action's workflow id. */
  holder: string;
  /** When the lock was taken (ms): a holder run older than this is not the one it waits for. */
  since: number;
}

export const releaseSignal = defineSignal('release');

const { awaitActionEnd } = proxyActivities<Pick<HakubeActivities, 'awaitActionEnd'>>({
  // The action may wait days for its operator; the heartbeat notices a lost worker.
  startToCloseTimeout: '3650d',
  heartbeatTimeout: '2m',
  retry: { initialInterval: '5s', maximumInterval: '1m' },
});

export async function clusterLock(input: LockInput): Promise<void> {
  let released = false;
  setHandler(releaseSignal, () => void (released = true));
  await Promise.race([awaitActionEnd({ holder: input.holder, since: input.since }), condition(() => released)]);
}
