/** The plan, recomputed from the spec inside the workflow: the planner is pure and deterministic. */
import type { Plan } from '../plan/types';
import type { SpecInput } from '../activities/types';
import { buildPlan } from '../plan/build';
import { buildActionPlan, type ActionRef } from '../plan/actions';

export function planFor(spec: SpecInput): Plan {
  return buildPlan(spec);
}

export function planForAction(spec: SpecInput, ref: ActionRef): Plan {
  return buildActionPlan(spec, ref);
}
