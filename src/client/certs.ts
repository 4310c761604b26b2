/**
 * Client side of `hakube certs`: the expiry report of the last applied spec, and starting the
 * renewal action under the cluster's lock.
 */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { CliError, EXIT } from '../exit';
import type { CertReport } from '../certs/expiry';
import { TASK_QUEUE } from '../temporal/task-queue';
import { HAKUBE_CLUSTER, HAKUBE_PHASE, type Kubeconfig } from '../workflows/defs';
import { refreshKubeconfig } from './kubeconfig';
import type { DeployOptions } from '../workflows/proxies';
import type { RenewCertsInput } from '../workflows/certs';
import { lastAppliedSpec } from './applied';
import { actionWorkflowId, assertUnlocked } from './lock';

/** The report; also refreshes the operator's admin.conf when master0 holds a newer one (its path in `kubeconfigRefreshed`). */
export async function certReport(client: Client, cluster: string): Promise<CertReport & { kubeconfigRefreshed?: string }> {
  const spec = await lastAppliedSpec(client, cluster);
  const { kubeconfig, ...report }: CertReport & { kubeconfig?: Kubeconfig } = await client.workflow.execute('certsCheck', {
    taskQueue: TASK_QUEUE,
    workflowId: `hakube/${cluster}/certs-check`,
    args: [{ spec }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    typedSearchAttributes: [
      { key: HAKUBE_CLUSTER, value: cluster },
      { key: HAKUBE_PHASE, value: 'certs-check' },
    ],
    staticSummary: `certs check ${cluster}`,
  });
  const refreshed = refreshKubeconfig(cluster, kubeconfig);
  return refreshed ? { ...report, kubeconfigRefreshed: refreshed } : report;
}

export interface RenewRequest {
  renewBeforeSeconds: number;
  force: boolean;
}

export async function renewInput(client: Client, cluster: string, r: RenewRequest, options?: DeployOptions): Promise<RenewCertsInput> {
  const spec = await lastAppliedSpec(client, cluster);
  return { spec, renewBeforeSeconds: r.renewBeforeSeconds, force: r.force, ...(options ? { options } : {}) };
}

export async function startRenew(client: Client, cluster: string, r: RenewRequest, options?: DeployOptions): Promise<WorkflowHandle> {
  const workflowId = actionWorkflowId(cluster, 'renew-certs');
  await assertUnlocked(client, cluster, 'renew-certs');
  const input = await renewInput(client, cluster, r, options);
  try {
    return await client.workflow.start('renewCerts', {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [
        { key: HAKUBE_CLUSTER, value: cluster },
        { key: HAKUBE_PHASE, value: 'start' },
      ],
      staticSummary: `renew certificates of ${cluster}${r.force ? ' (--force)' : ` expiring within ${r.renewBeforeSeconds} s`}`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw new CliError(`a certificate renewal of ${cluster} is already running (${workflowId})`, EXIT.BAD_INPUT);
    throw err;
  }
}
