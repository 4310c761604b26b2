/** A finished run's status asks a worker only when one is polling, and gives a long history's replay its time. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { msNumberToTs } from '@temporalio/common/lib/time';
import { closedQueryWaitMs, POLLED_WITHIN_MS, polledRecently } from '../../src/client/pollers';

const at = msNumberToTs;

test('a poller counts as a worker only while its last poll is within the long poll', () => {
  const now = 1_800_000_000_000;
  assert.equal(polledRecently([], now), false);
  assert.equal(polledRecently([undefined, null], now), false);
  assert.equal(polledRecently([at(now - 5_000)], now), true);
  // A worker stopped minutes ago stays listed by the server: not one to wait for.
  assert.equal(polledRecently([at(now - POLLED_WITHIN_MS - 1_000)], now), false);
  assert.equal(polledRecently([at(now - 4 * 60_000), at(now - 30_000)], now), true);
});

test('the closed-run query deadline grows with the history and stays bounded', () => {
  assert.equal(closedQueryWaitMs(undefined), 3000);
  assert.equal(closedQueryWaitMs(650_000), 3000 + 620);
  const at5000 = closedQueryWaitMs(5_978_417);
  assert.ok(at5000 >= 8_000 && at5000 <= 10_000, `${at5000}`);
  assert.equal(closedQueryWaitMs(200 * 1024 * 1024), 30_000);
});
