/**
 * renewMaster: one control plane's certificate renewal as a child of the renewal run, so each
 * master has its own history and Web UI page. Nothing is undone when it fails: the renewed files
 * are valid and the parked manifests go back on the next attempt; the parent stops the rollout
 * there and waits for the operator.
 */
import type { ActionRef } from '../plan/actions';
import type { JoinInput, JoinOutcome } from './join';
import { activitiesFor } from './proxies';
import { describeFailure } from './failure';
import { passOn } from './spec-ref';

export type RenewMasterInput = JoinInput & { action?: ActionRef };

export async function renewMaster(input: RenewMasterInput): Promise<JoinOutcome> {
  // Fewer attempts than a join: each attempt of the restart step already waits minutes for a pod.
  const acts = activitiesFor({ ...input.options, hostAttempts: input.options?.hostAttempts ?? 2 });
  try {
    const result = await acts.runHostPhase.executeWithOptions({ summary: input.summary }, [
      { ...passOn(input), phase: 'renew-certs', host: input.host, ...(input.action ? { action: input.action } : {}) },
    ]);
    return { ok: true, result };
  } catch (err) {
    const failed = describeFailure(err);
    return { ok: false, error: failed.message, details: failed.details };
  }
}
