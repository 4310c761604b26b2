/**
 * The bench's 3-step fragment as a hakube workflow: one activity per host, at most `concurrency`
 * at once, as the runner drives a host phase. Bundled for a worker on the bench's test server.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { FragmentActivities } from './activities';

const { fragmentHost } = proxyActivities<FragmentActivities>({
  startToCloseTimeout: '5 minutes',
  // A failure is a result of the bench, not something to hide behind a retry.
  retry: { maximumAttempts: 1 },
});

export interface FragmentInput {
  hosts: string[];
  concurrency: number;
  payload: string;
}

export async function labFragment(input: FragmentInput): Promise<number> {
  const queue = [...input.hosts];
  let steps = 0;
  await Promise.all(
    Array.from({ length: Math.min(input.concurrency, queue.length) }, async () => {
      for (let h = queue.shift(); h !== undefined; h = queue.shift()) {
        // Not `steps += await ...`: that adds to the count read before the await.
        const done = await fragmentHost(h, input.payload);
        steps += done;
      }
    }),
  );
  return steps;
}
