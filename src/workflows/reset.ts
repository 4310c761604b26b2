/**
 * resetCluster: the reset action's plan (src/phases/reset.ts) on the same runner as deploy.
 * Its phases have no undo: a host that fails to reset waits for retry or abort like any other.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { Plan } from '../plan/types';
import type { SpecInput } from '../activities/types';
import type { DeployResult } from './defs';
import type { DeployOptions } from './proxies';
import { planForAction } from './plan';
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
    plan = planForAction(input.spec, ref);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`cannot plan the reset: ${(err as Error).message}`, 'SpecInvalid');
  }
  return new ActionRun(input.spec, input.options, plan, ref).execute();
}
