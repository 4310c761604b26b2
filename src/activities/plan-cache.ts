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
/** By object first: a spec read through its SpecRef is the same object for every activity of the run. */
const byObject = new WeakMap<Cluster, Map<string, Plan>>();

export function planOf(spec: Cluster, ref: ActionRef = { action: 'deploy' }): Plan {
  const refKey = ref.action === 'apply' ? undefined : JSON.stringify(ref);
  const known = refKey !== undefined ? byObject.get(spec)?.get(refKey) : undefined;
  if (known) return known;
  const plan = planByJson(spec, ref);
  if (refKey !== undefined) {
    let m = byObject.get(spec);
    if (!m) byObject.set(spec, (m = new Map()));
    m.set(refKey, plan);
  }
  return plan;
}

function planByJson(spec: Cluster, ref: ActionRef): Plan {
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
