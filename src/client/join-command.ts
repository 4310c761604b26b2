/**
 * `hakube join-command`: a fresh `kubeadm join` line for a node joined by hand. The spec is the
 * one last deployed (client/applied.ts); master0 makes a new token (and, for a control plane,
 * uploads the certs under a new key) in a short workflow whose history holds them encrypted.
 */
import type { Client } from '@temporalio/client';
import { controlPlaneEndpoint } from '../spec/topology';
import { reveal } from '../temporal/secret';
import { TASK_QUEUE } from '../temporal/task-queue';
import type { JoinCredentials } from '../activities/types';
import { clusterAttributes } from './start-action';
import type { JoinCommandInput } from '../workflows/join-command';
import { lastAppliedSpec } from './applied';

export async function joinCommandLine(client: Client, cluster: string, controlPlane: boolean): Promise<string> {
  const spec = await lastAppliedSpec(client, cluster);
  const input: JoinCommandInput = { spec, controlPlane };
  const got: JoinCredentials = await client.workflow.execute('joinCommand', {
    taskQueue: TASK_QUEUE,
    workflowId: `hakube/${cluster}/join-command`,
    args: [input],
    workflowIdConflictPolicy: 'FAIL',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    typedSearchAttributes: clusterAttributes(cluster, 'join-command'),
    staticSummary: `join-command ${cluster}${controlPlane ? ' --control-plane' : ''}`,
  });
  if (!got.joinToken || !got.caCertHash) throw new Error(`master0 of ${cluster} returned no token`);
  const words = ['kubeadm', 'join', controlPlaneEndpoint(spec), '--token', reveal(got.joinToken), '--discovery-token-ca-cert-hash', reveal(got.caCertHash)];
  if (controlPlane) {
    if (!got.certificateKey) throw new Error(`master0 of ${cluster} returned no certificate key`);
    words.push('--control-plane', '--certificate-key', reveal(got.certificateKey));
  }
  return words.join(' ');
}
