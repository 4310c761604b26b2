/**
 * readCluster: the cluster as it is, for the client's apply preview (`hakube plan --action
 * apply`, `hakube apply`): one read-only activity through a control plane and every holder of
 * a backend list (activities/observe.ts). A workflow so the worker, which holds the SSH key,
 * does the reading.
 */
import type { ClusterInput } from '../activities/types';
import type { ObservedCluster } from '../plan/observed';
import { activitiesFor } from './proxies';

export async function readCluster(input: ClusterInput): Promise<ObservedCluster> {
  return activitiesFor({ hostAttempts: 2 }).observeCluster.executeWithOptions({ summary: `${input.spec.metadata.name}: read Nodes, etcd members and backend lists` }, [input]);
}
