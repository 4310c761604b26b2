/**
 * Live step detail for `deploy` and `status`: the workflow only learns a host's step results
 * when its activity finishes, but the activity heartbeats the step it is on with the output
 * tail. Describing the running workflows (parent or join child) reads those heartbeats, so the
 * board shows the current step, its attempt and the last error of a retrying activity.
 */
import type { Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex, decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow';
import type { HostPhaseHeartbeat } from '../activities/types';
import type { Progress } from '../workflows/defs';

export async function withLiveSteps(client: Client, p: Progress): Promise<Progress> {
  const running = p.phases.flatMap((ph) => ph.hosts.filter((h) => h.status === 'running' && h.workflowId));
  const ids = [...new Set(running.map((h) => h.workflowId!))];
  const converter = client.options.loadedDataConverter;
  for (const id of ids) {
    let pending;
    try {
      pending = (await client.workflow.getHandle(id).describe()).raw.pendingActivities ?? [];
    } catch {
      continue; // a child not started yet, or already gone: nothing live to add
    }
    for (const act of pending) {
      if (act.activityType?.name !== 'runHostPhase') continue;
      let hb: HostPhaseHeartbeat | undefined;
      try {
        hb = act.heartbeatDetails?.payloads?.length ? await decodeFromPayloadsAtIndex<HostPhaseHeartbeat>(converter, 0, act.heartbeatDetails.payloads) : undefined;
      } catch {
        hb = undefined;
      }
      const h = running.find((x) => x.workflowId === id && (hb?.host === undefined || x.host === hb.host));
      if (!h) continue;
      h.attempts = act.attempt ?? h.attempts;
      const failure = await decodeOptionalFailureToOptionalError(converter, act.lastFailure).catch(() => undefined);
      if (failure) h.lastError = failure.message;
      if (!hb) continue;
      for (const done of hb.done ?? []) {
        const s = h.steps.find((x) => x.id === done.id);
        if (s) Object.assign(s, { status: done.status, attempts: done.attempts, tail: done.tail });
      }
      const current = h.steps[hb.stepIndex];
      if (current) {
        current.status = 'running';
        const since = hb.startedAt?.[hb.stepIndex];
        if (since && act.attempt) current.attempts = act.attempt - since + 1;
        if (hb.tail) current.tail = hb.tail;
      }
    }
  }
  return p;
}
