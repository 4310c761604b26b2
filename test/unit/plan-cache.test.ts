import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseSpec } from '../../src/spec/parse';
import { buildPlan } from '../../src/plan/build';
import { planOf } from '../../src/activities/plan-cache';

test("activities reuse a spec's plan instead of rendering it on every call", () => {
  const vip = parseSpec(readFileSync('examples/ha-vip.yaml', 'utf8'));
  const lp = parseSpec(readFileSync('examples/ha-local-proxy.yaml', 'utf8'));
  const first = planOf(vip);
  assert.deepEqual(first, buildPlan(vip));
  // a spec arriving again (a new deserialized copy, as each activity gets it) hits the cache
  assert.equal(planOf(JSON.parse(JSON.stringify(vip))), first);
  assert.equal(planOf(lp).cluster, lp.metadata.name);
  const changed = { ...vip, metadata: { ...vip.metadata, name: 'other' } };
  assert.notEqual(planOf(changed), first);
  assert.equal(planOf(changed).cluster, 'other');
});
