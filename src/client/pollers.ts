/**
 * Whether a worker is there to answer: a query (progress of a finished run, the apply preview's
 * read) waits for a worker that polls the workflow's task queue, so asking with nobody polling
 * only waits out a deadline. The server lists every poller it saw in the last few minutes, a
 * stopped worker too; a live one starts a new long poll at least once a minute, so the time of
 * its last poll tells the two apart.
 */
import type { Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import type { google } from '@temporalio/proto';

const WORKFLOW_TASK_QUEUE = 1;

/** The server's long poll (one minute) with room for a slow reconnect; a clock skew above it reads as "no worker". */
export const POLLED_WITHIN_MS = 75_000;

export function polledRecently(lastAccess: readonly (google.protobuf.ITimestamp | null | undefined)[], now: number): boolean {
  return lastAccess.some((t) => {
    const ms = optionalTsToMs(t);
    return ms !== undefined && now - ms < POLLED_WITHIN_MS;
  });
}

export async function workerPolling(client: Client, taskQueue: string): Promise<boolean> {
  const { pollers } = await client.workflowService.describeTaskQueue({ namespace: client.options.namespace, taskQueue: { name: taskQueue }, taskQueueType: WORKFLOW_TASK_QUEUE });
  return polledRecently((pollers ?? []).map((p) => p.lastAccessTime), Date.now());
}

/**
 * How long a finished run's progress query may take: a worker answers it by replaying the
 * whole history, about a second a megabyte on a busy 2-core worker (a 5,000-host run's 6 MB
 * took longer than a flat 3 s), so the deadline grows with the history the server reports.
 */
export function closedQueryWaitMs(historyBytes: number | undefined): number {
  const mb = (historyBytes ?? 0) / (1024 * 1024);
  return Math.min(3000 + Math.ceil(mb * 1000), 30_000);
}
