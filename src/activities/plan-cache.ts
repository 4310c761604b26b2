/**
 * Every activity gets the spec, not the plan (the plan would bloat history), and recomputes
 * what it needs. A deploy of N hosts makes ~8N activity calls on the same spec, and a plan costs
 * O(N) to render, so the worker keeps the last few plans keyed by the spec's JSON.
 */
import { buildActionPlan, type ActionRef } from '../plan/actions';
import type { Plan } from '../plan/types';
import type { Cluster } from '../spec/types';
import { admit } from './admit';

const KEEP = 4;
const plans = new Map<string, Plan>();

export function planOf(spec: Cluster, ref: ActionRef = { action: 'deploy' }): Plan {
  const key = JSON.stringify([ref, spec]);
  let plan = plans.get(key);
  if (plan) {
    plans.delete(key);
  } else {
    plan = buildActionPlan(admit(spec), ref);
    if (plans.size >= KEEP) plans.delete(plans.keys().next().value as string);
  }
  plans.set(key, plan);
  return plan;
}
