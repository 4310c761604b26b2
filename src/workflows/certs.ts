/**
 * Day-2 workflows of certificates and etcd. etcdSnapshot saves one snapshot. certsCheck reads every certificate's expiry (one activity).
 * renewCerts is the renewal action on the generic runner: control planes one at a time, each a
 * renewMaster child behind the health gate, then verify. Scheduled runs start it too, so it
 * first takes the cluster's lock itself: with another action running it does nothing and says so.
 */
import { ApplicationFailure, proxyActivities, setHandler, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { CertActivities, SpecInput } from '../activities/types';
import type { SnapshotInput, SnapshotResult } from '../activities/etcd-snapshot';
import type { CertReport } from '../certs/expiry';
import type { Plan } from '../plan/types';
import { progressQuery, type DeployResult, type Kubeconfig } from './defs';
import { initialProgress } from './state';
import { activitiesFor, type DeployOptions } from './proxies';
import { assertValidSpec, planForAction } from './plan';
import { ActionRun } from './run';

const certActs = proxyActivities<CertActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '60s',
  retry: { maximumAttempts: 3, initialInterval: '5s', backoffCoefficient: 2, nonRetryableErrorTypes: ['SpecInvalid', 'HostKeyMismatchError', 'HostKeyUnknownError', 'SshAuthError'] },
});

/** The report, and master0's admin.conf (a secret): the CLI refreshes the operator's copy when a renewal (perhaps a scheduled one) made a newer one. */
export async function certsCheck(input: { spec: SpecInput }): Promise<CertReport & { kubeconfig?: Kubeconfig }> {
  const report = await certActs.checkCertificates.executeWithOptions({ summary: 'certs check: kubeadm certs check-expiration on each control plane, openssl elsewhere' }, [{ spec: input.spec }]);
  const kubeconfig = await activitiesFor({ hostAttempts: 2 }).fetchKubeconfig.executeWithOptions({ summary: 'certs check: admin.conf from master0' }, [{ spec: input.spec }]);
  return { ...report, kubeconfig };
}

/** One etcd snapshot into the worker's store (`hakube etcd snapshot`, and its schedule). */
export async function etcdSnapshot(input: SnapshotInput): Promise<SnapshotResult> {
  return certActs.etcdSnapshot.executeWithOptions({ summary: `etcd snapshot of ${input.spec.metadata.name}: save from a healthy member, snapshot status, sha256, store, retention` }, [input]);
}

export interface RenewCertsInput {
  spec: SpecInput;
  renewBeforeSeconds: number;
  force: boolean;
  options?: DeployOptions;
}

export interface RenewCertsResult extends Omit<DeployResult, 'state'> {
  state: DeployResult['state'] | 'locked';
  /** With state locked: the running actions that hold the cluster. */
  lockedBy?: string[];
}

export async function renewCerts(input: RenewCertsInput): Promise<RenewCertsResult> {
  const ref = { action: 'renew-certs', renewBeforeSeconds: input.renewBeforeSeconds, force: input.force } as const;
  let plan: Plan;
  try {
    assertValidSpec(input.spec);
    plan = planForAction(input.spec, ref);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`cannot renew: ${(err as Error).message}`, 'SpecInvalid');
  }
  const cluster = plan.cluster;
  // Answer `progress` from the first task on: the CLI follows the run while the lock is asked.
  const pending = initialProgress(plan);
  setHandler(progressQuery, () => pending);
  const lockedBy = await certActs.clusterLock.executeWithOptions({ summary: `lock: is another action running on ${cluster}?` }, [
    { cluster, self: workflowInfo().workflowId },
  ]);
  if (lockedBy.length) {
    // Nothing ran: the next scheduled run tries again (a lock is no failure, so the Schedule is not paused).
    const error = `locked by ${lockedBy.join(', ')}: nothing renewed`;
    Object.assign(pending, { state: 'failed', error });
    upsertMemo({ state: 'locked', waitingOn: error });
    return { cluster, state: 'locked', lockedBy, skipped: [] };
  }
  return new ActionRun(input.spec, input.options, plan, ref).execute();
}
