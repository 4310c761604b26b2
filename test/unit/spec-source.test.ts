import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseSpec } from '../../src/spec/parse';
import { specFingerprint } from '../../src/spec/fingerprint';
import { SpecSource } from '../../src/activities/spec-source';
import type { SpecRef } from '../../src/activities/types';

const vip = parseSpec(readFileSync('examples/ha-vip.yaml', 'utf8'));
const lp = parseSpec(readFileSync('examples/ha-local-proxy.yaml', 'utf8'));
const refTo = (spec: typeof vip): SpecRef => ({ workflowId: 'hakube/c/deploy', runId: 'r1', fingerprint: specFingerprint(spec) });

test('a SpecRef is read once per worker, however many activities ask at once', async () => {
  let reads = 0;
  const source = new SpecSource(async () => {
    reads++;
    return JSON.parse(JSON.stringify(vip));
  });
  const got = await Promise.all(Array.from({ length: 50 }, () => source.spec({ specRef: refTo(vip) })));
  assert.equal(reads, 1);
  assert.deepEqual(got[49], vip);
  assert.equal(got[0], got[49]);
  // an inline spec (a run recorded before SpecRef) is used as it came
  assert.equal(await source.spec({ spec: lp }), lp);
  assert.equal(reads, 1);
});

test('a spec whose fingerprint is not the one named is refused, and a missing one is asked for again', async () => {
  const wrong = new SpecSource(async () => lp);
  await assert.rejects(wrong.spec({ specRef: refTo(vip) }), /SpecInvalid|fingerprint/);
  let reads = 0;
  const flaky = new SpecSource(async () => (++reads === 1 ? undefined : vip));
  await assert.rejects(flaky.spec({ specRef: refTo(vip) }), /holds no spec/);
  assert.deepEqual(await flaky.spec({ specRef: refTo(vip) }), vip);
  assert.equal(reads, 2);
});

test("apply's previous spec travels by reference and comes back in place", async () => {
  const source = new SpecSource(async (ref) => (ref.fingerprint === specFingerprint(lp) ? lp : vip));
  const input = await source.resolve({ specRef: refTo(vip), host: 'k1', action: { action: 'apply' as const, previousRef: refTo(lp) } });
  assert.equal(input.spec, vip);
  assert.deepEqual(input.action, { action: 'apply', previous: lp });
  assert.equal('specRef' in input, false);
});
