/** The plan, recomputed from the spec inside the workflow: the planner is pure and deterministic. */
import type { Plan } from '../plan/types';
import type { SpecInput } from '../activities/types';
import { buildPlan } from '../plan/build';
import { buildActionPlan, type ActionRef } from '../plan/actions';
import { specProblems } from '../spec/check';

export const SPEC_CHECK_PATCH = 'hakube-spec-check';

/** Throws (the action reports it as SpecInvalid) listing every problem of the spec. */
export function assertValidSpec(spec: unknown): void {
  const problems = specProblems(spec);
  if (problems.length) throw new Error(`the spec is not valid (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.join('; ')}`);
}

export function planFor(spec: SpecInput): Plan {
  return buildPlan(spec);
}

export function planForAction(spec: SpecInput, ref: ActionRef): Plan {
  return buildActionPlan(spec, ref);
}
