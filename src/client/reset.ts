/** Client side of a reset: take the cluster's lock and start its reset run. */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { CliError, EXIT } from '../exit';
import type { Cluster } from '../spec/types';
import { TASK_QUEUE } from '../temporal/task-queue';
import { HAKUBE_CLUSTER, HAKUBE_PHASE } from '../workflows/defs';
import type { DeployOptions } from '../workflows/proxies';
import type { ResetInput } from '../workflows/reset';
import { withAbsolutePaths } from './deploy';
import { actionWorkflowId, acquireLock, releaseLock } from './lock';

export async function startReset(client: Client, spec: Cluster, wipeEtcd: boolean, options?: DeployOptions): Promise<WorkflowHandle> {
  const cluster = spec.metadata.name;
  const workflowId = actionWorkflowId(cluster, 'reset');
  await acquireLock(client, cluster, 'reset', workflowId);
  const input: ResetInput = { spec: withAbsolutePaths(spec), wipeEtcd, options };
  try {
    return await client.workflow.start('resetCluster', {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [
        { key: HAKUBE_CLUSTER, value: cluster },
        { key: HAKUBE_PHASE, value: 'start' },
      ],
      staticSummary: `reset ${cluster}${wipeEtcd ? ' (wipe etcd)' : ''}`,
    });
  } catch (err) {
    await releaseLock(client, cluster);
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw new CliError(`a reset of ${cluster} is already running (${workflowId})`, EXIT.BAD_INPUT);
    throw err;
  }
}
