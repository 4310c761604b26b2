/**
 * A deploy's progress read from its history, for when no worker answers the progress query (a
 * finished run, or every worker down). The history holds what the workflow itself learned:
 * each host phase's activity result or failure (step outcomes and masked tails), each join
 * child's outcome and the verification report; the workflow's own pure state helpers turn them
 * into the same record the query returns. Live heartbeats are not in it (see live.ts).
 * A phase of more than 200 hosts ran in hostGroup children: the parent's history has each
 * group's outcomes without tails; the group's own history has the tails, read for the hosts asked.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { decodeFromPayloadsAtIndex, decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow';
import type { temporal } from '@temporalio/proto';
import type { HostPhaseInput, HostPhaseResult } from '../activities/types';
import { buildPlan } from '../plan';
import type { PhaseName } from '../plan/types';
import type { DeployResult, HealthReport, HostProgress, Progress } from '../workflows/defs';
import type { DeployInput } from '../workflows/deploy';
import { describeFailure } from '../workflows/failure';
import type { GroupHostOutcome, HostGroupInput } from '../workflows/group';
import type { JoinOutcome } from '../workflows/join';
import { applyChecks, applyFailure, applyGroupOutcome, applyResult, initialProgress, markRunning } from '../workflows/state';

type Event = temporal.api.history.v1.IHistoryEvent;

const CHILD_PHASE: Record<string, PhaseName> = { joinMaster: 'join-masters', joinWorker: 'join-workers' };

interface Started {
  kind: 'host' | 'verify' | 'child' | 'group';
  phase: PhaseName;
  host?: string;
  /** A group's hosts and workflow id. */
  hosts?: string[];
  workflowId?: string;
}

/**
 * `hosts`: whose output tails to read from the host groups they ran in (all when undefined);
 * the parent's history alone gives every host's outcome.
 */
export async function progressFromHistory(client: Client, handle: WorkflowHandle, opts: { hosts?: readonly string[] } = {}): Promise<Progress> {
  const converter = client.options.loadedDataConverter;
  const decode = async <T>(payloads: Payload[] | null | undefined): Promise<T | undefined> =>
    payloads?.length ? decodeFromPayloadsAtIndex<T>(converter, 0, payloads) : undefined;
  const failureText = async (failure: temporal.api.failure.v1.IFailure | null | undefined) => {
    const err = await decodeOptionalFailureToOptionalError(converter, failure ?? undefined);
    return err ? describeFailure(err) : { message: 'failed' };
  };
  const { events = [] } = await handle.fetchHistory();
  const first = (events as Event[])[0]?.workflowExecutionStartedEventAttributes;
  if (!first) throw new Error(`${handle.workflowId}: empty history`);
  const input = await decode<DeployInput>(first.input?.payloads as Payload[]);
  if (!input) throw new Error(`${handle.workflowId}: the history has no deploy input`);
  const progress = initialProgress(buildPlan(input.spec));
  const index = new Map<string, HostProgress>();
  for (const ph of progress.phases) for (const h of ph.hosts) index.set(`${ph.name}\0${h.host}`, h);
  const hostIn = (phase: PhaseName, host: string | undefined): HostProgress | undefined => index.get(`${phase}\0${host}`);
  const groups: Started[] = [];

  // The parent's events, then each asked-for group's: the same activities and join children.
  const walk = async (events: Event[], workflowId: string, top: boolean): Promise<void> => {
    const started = new Map<string, Started>();
    for (const e of events) {
      const id = String(e.eventId);
      const sched = e.activityTaskScheduledEventAttributes;
      if (sched) {
        const type = sched.activityType?.name;
        if (type === 'runHostPhase') {
          const input = await decode<HostPhaseInput>(sched.input?.payloads as Payload[]);
          if (!input) continue;
          started.set(id, { kind: 'host', phase: input.phase, host: input.host });
          const h = hostIn(input.phase, input.host);
          if (h) markRunning(h, workflowId);
        } else if (type === 'verifyCluster') started.set(id, { kind: 'verify', phase: 'verify' });
        continue;
      }
      const child = e.startChildWorkflowExecutionInitiatedEventAttributes;
      if (child?.workflowType?.name === 'hostGroup') {
        const g = await decode<HostGroupInput>(child.input?.payloads as Payload[]);
        if (!g) continue;
        const s: Started = { kind: 'group', phase: g.phase, hosts: g.hosts, workflowId: child.workflowId ?? undefined };
        started.set(id, s);
        groups.push(s);
        for (const host of g.hosts) {
          const h = hostIn(g.phase, host);
          if (h) markRunning(h, child.workflowId ?? workflowId);
        }
        continue;
      }
      if (child) {
        const phase = CHILD_PHASE[child.workflowType?.name ?? ''];
        const input = await decode<{ host: string }>(child.input?.payloads as Payload[]);
        if (!phase || !input) continue;
        started.set(id, { kind: 'child', phase, host: input.host });
        const h = hostIn(phase, input.host);
        if (h) markRunning(h, child.workflowId ?? workflowId);
        continue;
      }

      const done = e.activityTaskCompletedEventAttributes;
      const failed = e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes;
      if (done || failed) {
        const s = started.get(String((done ?? failed)!.scheduledEventId));
        if (!s) continue;
        if (s.kind === 'verify') {
          const report = done
            ? await decode<HealthReport>(done.result?.payloads as Payload[])
            : { ok: false, checks: [{ name: 'verify', ok: false, detail: (await failureText(failed!.failure)).message }] };
          if (report) {
            progress.verification = report;
            applyChecks(progress.phases.find((p) => p.name === 'verify')!, report);
          }
          continue;
        }
        const h = hostIn(s.phase, s.host);
        if (!h) continue;
        if (done) {
          const result = await decode<HostPhaseResult>(done.result?.payloads as Payload[]);
          if (result) applyResult(h, result);
        } else {
          const f = await failureText(failed!.failure);
          applyFailure(h, f.message, f.details?.attempt ?? 1, f.details);
        }
        continue;
      }

      const childDone = e.childWorkflowExecutionCompletedEventAttributes;
      const childEnded =
        e.childWorkflowExecutionFailedEventAttributes ??
        e.childWorkflowExecutionTimedOutEventAttributes ??
        e.childWorkflowExecutionTerminatedEventAttributes ??
        e.childWorkflowExecutionCanceledEventAttributes;
      if (childDone || childEnded) {
        const s = started.get(String((childDone ?? childEnded)!.initiatedEventId));
        if (s?.kind === 'group') {
          const outcomes = childDone
            ? await decode<GroupHostOutcome[]>(childDone.result?.payloads as Payload[])
            : (s.hosts ?? []).map((host) => ({ host, ok: false, error: 'the host group ended without a result' }) as GroupHostOutcome);
          for (const o of outcomes ?? []) {
            const h = hostIn(s.phase, o.host);
            if (!h) continue;
            applyGroupOutcome(h, o);
          }
          continue;
        }
        const h = s && hostIn(s.phase, s.host);
        if (!h) continue;
        const outcome: JoinOutcome | undefined = childDone
          ? await decode<JoinOutcome>(childDone.result?.payloads as Payload[])
          : { ok: false, error: 'failure' in childEnded! && childEnded.failure ? (await failureText(childEnded.failure)).message : 'the join workflow ended without a result' };
        if (!outcome) continue;
        if (outcome.ok) applyResult(h, outcome.result);
        else {
          applyFailure(h, outcome.error, outcome.details?.attempt ?? 1, outcome.details);
          if (outcome.compensation) h.status = 'compensated';
        }
        continue;
      }

      if (!top) continue;
      if (e.workflowExecutionCompletedEventAttributes) {
        const r = await decode<DeployResult>(e.workflowExecutionCompletedEventAttributes.result?.payloads as Payload[]);
        progress.state = r?.state ?? 'done';
        if (r?.kubeconfig) progress.kubeconfigFetched = true;
      } else if (e.workflowExecutionFailedEventAttributes) {
        progress.state = 'failed';
        progress.error = (await failureText(e.workflowExecutionFailedEventAttributes.failure)).message;
      } else if (e.workflowExecutionTerminatedEventAttributes) {
        progress.state = 'failed';
        progress.error = `terminated${e.workflowExecutionTerminatedEventAttributes.reason ? `: ${e.workflowExecutionTerminatedEventAttributes.reason}` : ''}`;
      } else if (e.workflowExecutionTimedOutEventAttributes || e.workflowExecutionCanceledEventAttributes) {
        progress.state = 'failed';
        progress.error = e.workflowExecutionTimedOutEventAttributes ? 'timed out' : 'canceled';
      }
    }
  };
  await walk(events as Event[], handle.workflowId, true);
  // A group's outcomes came without tails: its own history has them (activities, or the join
  // children of groups recorded before inline joins, which the walk reads the same way).
  const asked = opts.hosts && new Set(opts.hosts);
  for (const g of groups) {
    if (!g.workflowId || (asked && !g.hosts?.some((h) => asked.has(h)))) continue;
    const own = await client.workflow.getHandle(g.workflowId).fetchHistory().catch(() => undefined);
    if (own?.events) await walk(own.events as Event[], g.workflowId, false);
  }
  for (const ph of progress.phases) {
    if (ph.status === 'skipped' || ph.hosts.length === 0) continue;
    if (ph.hosts.every((h) => h.status === 'done' || h.status === 'skipped')) ph.status = 'done';
    else if (ph.hosts.some((h) => h.status !== 'pending')) ph.status = ph.hosts.some((h) => h.status === 'failed' || h.status === 'compensated') ? 'failed' : 'running';
  }
  return progress;
}
