/**
 * A worker that starts on the machine where an earlier worker was killed takes back the
 * activities that worker was running. Without this, Temporal only notices a SIGKILLed worker
 * when the activity's heartbeat timeout passes (60 s by default), and the run sits idle that
 * long although a successor polls. The successor knows a predecessor is dead for sure only when
 * it ran on the same machine: its identity is pid@host, and that pid is gone. Attempts on other
 * machines' workers are left to the heartbeat timeout, the only judge that sees them.
 *
 * A taken-back attempt is failed by id with a retryable failure whose next retry is immediate,
 * so the retry policy's backoff does not add its first interval; the activity then runs again on
 * any worker, where its idempotency check picks up what the dead attempt did (a detached command
 * still running on the host is awaited, not started twice).
 */
import * as os from 'node:os';
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { isZombie } from './pids';

const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;

export function workerIdentity(pid = process.pid, host = os.hostname()): string {
  return `${pid}@${host}`;
}

/** True if `identity` names a worker process on `host` that no longer runs. */
export function isDeadLocalWorker(identity: string | null | undefined, host: string, alive: (pid: number) => boolean): boolean {
  const m = /^(\d+)@(.+)$/.exec(identity ?? '');
  if (!m || m[2] !== host) return false;
  const pid = Number(m[1]);
  return pid !== process.pid && !alive(pid);
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A killed worker whose launcher died with it stays a zombie until init reaps it: dead.
    return !isZombie(pid);
  } catch (err) {
    // EPERM: the pid runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface Reclaimed {
  workflowId: string;
  activityId: string;
  activityType: string;
  deadWorker: string;
}

export interface ReclaimOptions {
  taskQueue: string;
  host?: string;
  alive?: (pid: number) => boolean;
}

/** Fails the started attempts of dead local workers in every open workflow of the task queue. */
export async function reclaimDeadWorkersActivities(client: Client, opts: ReclaimOptions): Promise<Reclaimed[]> {
  const host = opts.host ?? os.hostname();
  const alive = opts.alive ?? pidAlive;
  const reclaimed: Reclaimed[] = [];
  const query = `ExecutionStatus = "Running" AND TaskQueue = "${opts.taskQueue.replace(/["\\]/g, '')}"`;
  for await (const wf of client.workflow.list({ query })) {
    const { raw } = await client.workflow.getHandle(wf.workflowId, wf.runId).describe();
    const dead = (raw.pendingActivities ?? []).filter((a) => a.state === STARTED && isDeadLocalWorker(a.lastWorkerIdentity, host, alive));
    if (dead.length === 0) continue;
    // The workflow's next task would first wait on the dead worker's sticky queue.
    await client.workflowService
      .resetStickyTaskQueue({ namespace: client.options.namespace, execution: { workflowId: wf.workflowId, runId: wf.runId } })
      .catch(() => undefined);
    for (const a of dead) {
      const failure = ApplicationFailure.create({
        type: 'WorkerLost',
        message: `worker ${a.lastWorkerIdentity} died while running this attempt; ${workerIdentity()} took it back`,
        nextRetryDelay: '10ms',
      });
      try {
        await client.activity.fail({ workflowId: wf.workflowId, runId: wf.runId, activityId: a.activityId! }, failure);
      } catch {
        // It ended meanwhile (its heartbeat timeout fired, or it completed): nothing to take back.
        continue;
      }
      reclaimed.push({ workflowId: wf.workflowId, activityId: a.activityId!, activityType: a.activityType?.name ?? '?', deadWorker: a.lastWorkerIdentity! });
    }
  }
  return reclaimed;
}
