/**
 * Client side of `hakube certs`: the expiry report of the last applied spec, and starting the
 * renewal action under the cluster's lock.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { CertReport } from '../certs/expiry';
import { TASK_QUEUE } from '../temporal/task-queue';
import type { Kubeconfig } from '../workflows/defs';
import { refreshKubeconfig } from './kubeconfig';
import type { DeployOptions } from '../workflows/proxies';
import type { RenewCertsInput } from '../workflows/certs';
import { lastAppliedSpec } from './applied';
import { clusterAttributes, startAction } from './start-action';

/** The report; also refreshes the operator's admin.conf when master0 holds a newer one (its path in `kubeconfigRefreshed`). */
export async function certReport(client: Client, cluster: string): Promise<CertReport & { kubeconfigRefreshed?: string }> {
  const spec = await lastAppliedSpec(client, cluster);
  const { kubeconfig, ...report }: CertReport & { kubeconfig?: Kubeconfig } = await client.workflow.execute('certsCheck', {
    taskQueue: TASK_QUEUE,
    workflowId: `hakube/${cluster}/certs-check`,
    args: [{ spec }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    typedSearchAttributes: clusterAttributes(cluster, 'certs-check'),
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
  return startAction(client, cluster, 'renew-certs', {
    // The renewal takes the lock inside its run (as a scheduled one must): here only a check.
    lock: 'visibility',
    input: () => renewInput(client, cluster, r, options),
    summary: `renew certificates of ${cluster}${r.force ? ' (--force)' : ` expiring within ${r.renewBeforeSeconds} s`}`,
    alreadyRunning: (id) => `a certificate renewal of ${cluster} is already running (${id})`,
  });
}
