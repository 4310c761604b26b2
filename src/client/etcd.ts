/** Client side of `hakube etcd snapshot`: one snapshot now, or its Schedule. */
import type { Client } from '@temporalio/client';
import type { ScheduleSpec } from '@temporalio/client';
import type { SnapshotInput, SnapshotResult } from '../activities/etcd-snapshot';
import { TASK_QUEUE } from '../temporal/task-queue';
import { HAKUBE_CLUSTER, HAKUBE_PHASE } from '../workflows/defs';
import { lastAppliedSpec } from './applied';
import { upsertSchedule } from './schedules';

export interface SnapshotRequest {
  dir?: string;
  keep?: number;
  maxAgeSeconds?: number;
}

async function input(client: Client, cluster: string, r: SnapshotRequest): Promise<SnapshotInput> {
  return { spec: await lastAppliedSpec(client, cluster), ...r };
}

export async function takeSnapshot(client: Client, cluster: string, r: SnapshotRequest): Promise<SnapshotResult> {
  return client.workflow.execute('etcdSnapshot', {
    taskQueue: TASK_QUEUE,
    workflowId: `hakube/${cluster}/etcd-snapshot`,
    args: [await input(client, cluster, r)],
    workflowIdConflictPolicy: 'FAIL',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    typedSearchAttributes: [
      { key: HAKUBE_CLUSTER, value: cluster },
      { key: HAKUBE_PHASE, value: 'etcd-snapshot' },
    ],
    staticSummary: `etcd snapshot of ${cluster}`,
  });
}

export async function scheduleSnapshots(client: Client, cluster: string, spec: ScheduleSpec, when: string, r: SnapshotRequest): Promise<'created' | 'updated'> {
  const keep = [r.keep !== undefined ? `keep ${r.keep}` : '', r.maxAgeSeconds !== undefined ? `max age ${r.maxAgeSeconds} s` : ''].filter(Boolean).join(', ') || 'keep all';
  const note = `hakube: etcd snapshot of ${cluster} ${when} into ${r.dir ?? 'the worker\'s store'} (${keep})`;
  return upsertSchedule(client, { cluster, job: 'etcd-snapshot', spec, args: [await input(client, cluster, r)], note });
}
