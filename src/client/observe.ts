/**
 * The live cluster for apply's preview, read by a worker (it holds the SSH key) in a short
 * readCluster run. With no worker polling hakube's task queue there is nobody to read it: the
 * preview says so instead of waiting.
 */
import type { Client } from '@temporalio/client';
import type { ObservedCluster } from '../plan/observed';
import type { Cluster } from '../spec/types';
import { TASK_QUEUE } from '../temporal/task-queue';
import { workerPolling } from './pollers';

export async function readLiveCluster(client: Client, spec: Cluster): Promise<ObservedCluster | undefined> {
  if (!(await workerPolling(client, TASK_QUEUE))) return undefined;
  return client.workflow.execute('readCluster', {
    taskQueue: TASK_QUEUE,
    workflowId: `hakube/${spec.metadata.name}/read`,
    args: [{ spec }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    workflowExecutionTimeout: '3m',
    staticSummary: `read ${spec.metadata.name} (apply preview)`,
  });
}
