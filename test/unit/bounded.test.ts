import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapBounded } from '../../src/activities/bounded';
import { runsOf } from '../../src/activities/verify';
import type { PlannedStep } from '../../src/plan/types';

test('mapBounded keeps at most `limit` in flight, runs every item once, results in order', async () => {
  let inFlight = 0;
  let peak = 0;
  const seen: number[] = [];
  const items = Array.from({ length: 500 }, (_, i) => i);
  const out = await mapBounded(items, 64, async (n) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    seen.push(n);
    // Yield a varying number of turns so lanes finish out of order.
    for (let k = 0; k <= n % 7; k++) await Promise.resolve();
    inFlight--;
    return n * 2;
  });
  assert.equal(peak, 64);
  assert.deepEqual([...seen].sort((a, b) => a - b), items);
  assert.deepEqual(out, items.map((n) => n * 2));
});

test('mapBounded starts nothing more once stopped', async () => {
  let started = 0;
  const out = await mapBounded(Array.from({ length: 100 }, (_, i) => i), 4, async (n) => {
    started++;
    await Promise.resolve();
    return n;
  }, () => started >= 10);
  assert.equal(started, 10);
  assert.equal(out.filter((x) => x !== undefined).length, 10);
});

test('mapBounded with fewer items than the limit, and with none', async () => {
  assert.deepEqual(await mapBounded([1, 2], 64, async (n) => n + 1), [2, 3]);
  assert.deepEqual(await mapBounded([], 64, async (n: number) => n), []);
});

const s = (host: string, kind: string): PlannedStep => ({ id: `verify/${host}/${kind}`, phase: 'verify', host, title: kind, files: [], commands: [] });

test('verify: per-node healthz checks form one concurrent run; cluster-wide checks and the drill run alone, in order', () => {
  const steps = [s('m1', 'nodes-ready'), s('m1', 'etcd-health'), s('m1', 'healthz'), s('w1', 'healthz'), s('w2', 'healthz'), s('m1', 'vip-failover')];
  assert.deepEqual(runsOf(steps).map((r) => r.map((x) => x.id)), [
    ['verify/m1/nodes-ready'],
    ['verify/m1/etcd-health'],
    ['verify/m1/healthz', 'verify/w1/healthz', 'verify/w2/healthz'],
    ['verify/m1/vip-failover'],
  ]);
});
