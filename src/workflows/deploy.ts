/**
 * deployCluster: the deploy action, i.e. the deploy plan's phases on the generic runner
 * (runner.ts) inside an ActionRun (run.ts). Masters join one at a time (each a child workflow,
 * compensated on failure, health-gated before the next), workers join with bounded
 * concurrency, and any failure that survives its retries parks the run until the operator says
 * retry, skip (workers) or abort.
 */
import { ApplicationFailure, patched } from '@temporalio/workflow';
import type { Plan } from '../plan/types';
import type { SpecInput } from '../activities/types';
import type { DeployResult } from './defs';
import type { DeployOptions } from './proxies';
import { assertValidSpec, planFor, SPEC_CHECK_PATCH } from './plan';
import { ActionRun } from './run';

export interface DeployInput {
  spec: SpecInput;
  options?: DeployOptions;
}

export async function deployCluster(input: DeployInput): Promise<DeployResult> {
  let plan: Plan;
  try {
    // A run started straight on the task queue meets the rules a spec file does. Runs recorded
    // before this check replay without it (their spec may predate a rule).
    if (patched(SPEC_CHECK_PATCH)) assertValidSpec(input.spec);
    plan = planFor(input.spec);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`cannot plan the deploy: ${(err as Error).message}`, 'SpecInvalid');
  }
  return new ActionRun(input.spec, input.options, plan).execute();
}
