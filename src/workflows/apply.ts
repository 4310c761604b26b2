/**
 * applyCluster: the difference between the last applied spec and the new one, on the same
 * runner: removals (drain, etcd members, reset, Node objects), then the new spec's deploy
 * phases, which only do what is not done yet (new hosts join one master at a time with fresh
 * credentials; every backend list is rewritten from the new spec).
 */
import { ApplicationFailure, patched } from '@temporalio/workflow';
import type { Plan } from '../plan/types';
import type { SpecInput } from '../activities/types';
import type { DeployResult } from './defs';
import type { DeployOptions } from './proxies';
import { assertValidSpec, planForAction, SPEC_CHECK_PATCH } from './plan';
import { ActionRun } from './run';

export interface ApplyInput {
  spec: SpecInput;
  /** The last applied spec (recorded by the run that applied it). */
  previous: SpecInput;
  options?: DeployOptions;
}

export async function applyCluster(input: ApplyInput): Promise<DeployResult> {
  const ref = { action: 'apply', previous: input.previous } as const;
  let plan: Plan;
  try {
    // A run started straight on the task queue meets the rules a spec file does. Runs recorded
    // before this check replay without it (their spec may predate a rule).
    if (patched(SPEC_CHECK_PATCH)) assertValidSpec(input.spec);
    plan = planForAction(input.spec, ref);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`cannot apply: ${(err as Error).message}`, 'SpecInvalid');
  }
  return new ActionRun(input.spec, input.options, plan, ref).execute();
}
