/**
 * resetCluster: the reset action's plan (src/phases/reset.ts) on the same runner as deploy.
 * Its phases have no undo: a host that fails to reset waits for retry or abort like any other.
 */
import { ApplicationFailure, patched } from '@temporalio/workflow';
import type { Plan } from '../plan/types';
import type { SpecInput } from '../activities/types';
import type { DeployResult } from './defs';
import type { DeployOptions } from './proxies';
import { assertValidSpec, planForAction, SPEC_CHECK_PATCH } from './plan';
import { ActionRun } from './run';

export interface ResetInput {
  spec: SpecInput;
  /** Also stop the external etcd cluster and delete its data. */
  wipeEtcd: boolean;
  options?: DeployOptions;
}

export async function resetCluster(input: ResetInput): Promise<DeployResult> {
  const ref = { action: 'reset', wipeEtcd: input.wipeEtcd } as const;
  let plan: Plan;
  try {
    // A run started straight on the task queue meets the rules a spec file does. Runs recorded
    // before this check replay without it (their spec may predate a rule).
    if (patched(SPEC_CHECK_PATCH)) assertValidSpec(input.spec);
    plan = planForAction(input.spec, ref);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`cannot plan the reset: ${(err as Error).message}`, 'SpecInvalid');
  }
  return new ActionRun(input.spec, input.options, plan, ref).execute();
}
