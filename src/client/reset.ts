/** Client side of a reset: take the cluster's lock and start its reset run. */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Cluster } from '../spec/types';
import type { DeployOptions } from '../workflows/proxies';
import type { ResetInput } from '../workflows/reset';
import { withAbsolutePaths } from './deploy';
import { startAction } from './start-action';

export async function startReset(client: Client, spec: Cluster, wipeEtcd: boolean, options?: DeployOptions): Promise<WorkflowHandle> {
  const cluster = spec.metadata.name;
  const input: ResetInput = { spec: withAbsolutePaths(spec), wipeEtcd, options };
  return startAction(client, cluster, 'reset', {
    input,
    summary: `reset ${cluster}${wipeEtcd ? ' (wipe etcd)' : ''}`,
    alreadyRunning: (id) => `a reset of ${cluster} is already running (${id})`,
  });
}
