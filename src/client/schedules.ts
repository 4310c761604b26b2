/**
 * hakube's Temporal Schedules: one per cluster and job (`hakube-<cluster>-certs`,
 * `hakube-<cluster>-etcd-snapshot`). Created or updated idempotently; overlap SKIP (a run still
 * going means the next is dropped, never stacked), an explicit catch-up window (a server down
 * for a day runs one missed renewal, not seven), pause on failure (a failed renewal waits for
 * the operator instead of failing again every week). The note names the cluster and the
 * threshold on the Web UI's Schedules page.
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleDescription, type ScheduleSpec } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { CliError, EXIT } from '../exit';
import { TASK_QUEUE } from '../temporal/task-queue';
import { HAKUBE_CLUSTER, HAKUBE_PHASE } from '../workflows/defs';

export const SCHEDULE_JOBS = { certs: 'renewCerts', 'etcd-snapshot': 'etcdSnapshot' } as const;
export type ScheduleJob = keyof typeof SCHEDULE_JOBS;
export const CATCHUP_WINDOW: Duration = '1h';
const PREFIX = 'hakube-';

export const scheduleId = (cluster: string, job: ScheduleJob): string => `${PREFIX}${cluster}-${job}`;

/** `--cron EXPR` or `--every 7d`: exactly one. */
export function scheduleSpec(when: { cron?: string; every?: string }): ScheduleSpec {
  if (!!when.cron === !!when.every) throw new CliError('give exactly one of --cron EXPR (e.g. "0 3 * * 0") or --every DURATION (e.g. 7d)', EXIT.BAD_INPUT);
  if (when.cron) {
    if (when.cron.trim().split(/\s+/).length !== 5) throw new CliError(`--cron ${JSON.stringify(when.cron)} is not a 5-field cron expression; write e.g. "0 3 * * 0" (Sundays 03:00)`, EXIT.BAD_INPUT);
    return { cronExpressions: [when.cron.trim()] };
  }
  const every = when.every as string;
  if (!/^\d+[smhd]$/.test(every) || /^0+[smhd]$/.test(every)) throw new CliError(`--every ${JSON.stringify(every)} is not a duration; write e.g. 7d, 12h or 30m`, EXIT.BAD_INPUT);
  return { intervals: [{ every: (every.endsWith('d') ? `${Number(every.slice(0, -1)) * 24}h` : every) as Duration }] };
}

export interface ScheduleRequest {
  cluster: string;
  job: ScheduleJob;
  spec: ScheduleSpec;
  args: unknown[];
  /** The Web UI shows it as the schedule's Notes; updated with the schedule, so it names the current settings. */
  note: string;
}

/** Creates the schedule, or updates it in place when it exists: running it twice is a no-op. Returns whether it was created. */
export async function upsertSchedule(client: Client, r: ScheduleRequest): Promise<'created' | 'updated'> {
  const id = scheduleId(r.cluster, r.job);
  const action = {
    type: 'startWorkflow' as const,
    workflowType: SCHEDULE_JOBS[r.job],
    taskQueue: TASK_QUEUE,
    // Temporal appends the scheduled time, so each run has its own id under this prefix.
    workflowId: `hakube/${r.cluster}/${r.job === 'certs' ? 'renew-certs' : 'etcd-snapshot'}`,
    args: r.args,
    typedSearchAttributes: [
      { key: HAKUBE_CLUSTER, value: r.cluster },
      { key: HAKUBE_PHASE, value: 'start' },
    ],
    staticSummary: r.note,
  };
  const policies = { overlap: 'SKIP' as const, catchupWindow: CATCHUP_WINDOW, pauseOnFailure: true };
  // The schedule itself carries the cluster too (not only the runs it starts), so the Web UI's
  // Schedules list filters by it: HakubeCluster="NAME".
  const cluster = { key: HAKUBE_CLUSTER, value: r.cluster };
  // Temporal never updates a schedule's memo: it holds only what cannot change, the settings live in the note.
  const memo = { cluster: r.cluster, job: r.job };
  try {
    await client.schedule.create({ scheduleId: id, spec: r.spec, action, policies, state: { note: r.note }, memo, typedSearchAttributes: [cluster] });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule
    .getHandle(id)
    .update((prev) => ({ ...prev, spec: r.spec, action, policies, state: { ...prev.state, note: r.note }, typedSearchAttributes: prev.typedSearchAttributes.updateCopy([cluster]) }));
  return 'updated';
}

export interface ScheduleLine {
  id: string;
  paused: boolean;
  note?: string;
  workflowType?: string;
  next?: string;
  recent?: string;
}

export async function listSchedules(client: Client): Promise<ScheduleLine[]> {
  const out: ScheduleLine[] = [];
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith(PREFIX)) continue;
    out.push({
      id: s.scheduleId,
      paused: s.state.paused,
      note: s.state.note,
      workflowType: s.action?.type === 'startWorkflow' ? s.action.workflowType : undefined,
      next: s.info.nextActionTimes[0]?.toISOString(),
      recent: s.info.recentActions.at(-1)?.takenAt.toISOString(),
    });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

function handle(client: Client, id: string) {
  return client.schedule.getHandle(id);
}

async function orNotFound<T>(id: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new CliError(`no schedule ${id}; \`hakube schedule list\` shows them`, EXIT.BAD_INPUT);
    throw err;
  }
}

export const describeSchedule = (client: Client, id: string): Promise<ScheduleDescription> => orNotFound(id, () => handle(client, id).describe());
export const pauseSchedule = (client: Client, id: string, note: string) => orNotFound(id, () => handle(client, id).pause(note));
export const unpauseSchedule = (client: Client, id: string, note: string) => orNotFound(id, () => handle(client, id).unpause(note));
export const deleteSchedule = (client: Client, id: string) => orNotFound(id, () => handle(client, id).delete());
/** The SDK's trigger() defaults to ALLOW_ALL: a manual run passes SKIP, so it never runs beside one already going. */
export const triggerSchedule = (client: Client, id: string) => orNotFound(id, () => handle(client, id).trigger('SKIP'));
