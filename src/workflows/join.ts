/**
 * One child workflow per joining node, so each join has its own history (a 100-worker cluster
 * does not pile every step into the parent) and its own page in the Web UI. A join that fails
 * after its retries is compensated on that node only; the parent decides what happens next.
 */
import type { PlannedPhase } from '../plan/types';
import type { CompensateResult, HostPhaseResult, RuntimeSecrets, SpecArg, StepFailureDetails } from '../activities/types';
import type { HealthReport } from './defs';
import { activitiesFor, compensationActivitiesFor, type DeployOptions } from './proxies';
import { describeFailure } from './failure';
import { passOn } from './spec-ref';

/** The spec inline (runs recorded before SpecRef) or the parent's SpecRef, passed on as it came. */
export type JoinInput = SpecArg & {
  host: string;
  runtime: RuntimeSecrets;
  /** The Web UI line for the join activity, computed by the parent from the plan. */
  summary: string;
  options?: DeployOptions;
};

export type JoinOutcome =
  | { ok: true; result: HostPhaseResult }
  | {
      ok: false;
      error: string;
      details?: StepFailureDetails;
      compensation?: CompensateResult;
      compensationError?: string;
      /** master joins only: master0 and etcd quorum after the compensation. */
      health?: HealthReport;
    };

export async function joinMaster(input: JoinInput): Promise<JoinOutcome> {
  return joinHost(input, 'join-masters');
}

export async function joinWorker(input: JoinInput): Promise<JoinOutcome> {
  return joinHost(input, 'join-workers');
}

/** One node's join and, when it fails, its compensation: the body of a join child, or run inline by a host group. */
export async function joinHost(input: JoinInput, phase: PlannedPhase['name']): Promise<JoinOutcome> {
  const acts = activitiesFor(input.options);
  const spec = passOn(input);
  try {
    const result = await acts.runHostPhase.executeWithOptions({ summary: input.summary }, [
      { ...spec, phase, host: input.host, runtime: input.runtime },
    ]);
    return { ok: true, result };
  } catch (err) {
    const failed = describeFailure(err);
    const comp = compensationActivitiesFor(input.options);
    const master = phase === 'join-masters';
    const outcome: JoinOutcome = { ok: false, error: failed.message, details: failed.details };
    try {
      const compensate = master ? comp.compensateMaster : comp.compensateWorker;
      outcome.compensation = await compensate.executeWithOptions(
        { summary: `${phase} ${input.host}: compensate (kubeadm reset -f, remove member, node and backend)` },
        [{ ...spec, host: input.host }],
      );
    } catch (compErr) {
      outcome.compensationError = describeFailure(compErr).message;
    }
    if (master) {
      try {
        outcome.health = await comp.checkControlPlane.executeWithOptions({ summary: 'verify master0 and etcd quorum after compensation' }, [
          spec,
        ]);
      } catch (healthErr) {
        outcome.health = { ok: false, checks: [{ name: 'control plane', ok: false, detail: describeFailure(healthErr).message }] };
      }
    }
    return outcome;
  }
}
