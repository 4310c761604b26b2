/**
 * deployCluster: the deploy action, i.e. the deploy plan's phases on the generic runner
 * (runner.ts) inside an ActionRun (run.ts). Masters join one at a time (each a child workflow,
 * compensated on failure, health-gated before the next), workers join with bounded
 * concurrency, and any failure that survives its retries parks the run until the operator says
 * retry, skip (workers) or abort.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { Plan } from '../plan/types';
import type { SpecInput } from '../activities/types';
import type { DeployResult } from './defs';
import type { DeployOptions } from './proxies';
import { planFor } from './plan';
import { ActionRun } from './run';

export interface DeployInput {
  spec: SpecInput;
  options?: DeployOptions;
}

export async function deployCluster(input: DeployInput): Promise<DeployResult> {
  let plan: Plan;
  try {
    plan = planFor(input.spec);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`cannot plan the deploy: ${(err as Error).message}`, 'SpecInvalid');
  }
  return new ActionRun(input.spec, input.options, plan).execute();
}
