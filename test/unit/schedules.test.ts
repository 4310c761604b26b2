/** Schedule specs from the CLI's --cron / --every, refused with the fix when malformed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CATCHUP_WINDOW, scheduleId, scheduleSpec } from '../../src/client/schedules';

test('--every in days becomes hours (Temporal intervals have no days); --cron passes through', () => {
  assert.deepEqual(scheduleSpec({ every: '7d' }), { intervals: [{ every: '168h' }] });
  assert.deepEqual(scheduleSpec({ every: '30m' }), { intervals: [{ every: '30m' }] });
  assert.deepEqual(scheduleSpec({ cron: ' 0 3 * * 0 ' }), { cronExpressions: ['0 3 * * 0'] });
});

test('exactly one of --cron and --every, each well-formed', () => {
  assert.throws(() => scheduleSpec({}), /give exactly one of --cron EXPR .* or --every DURATION/);
  assert.throws(() => scheduleSpec({ cron: '0 3 * * 0', every: '7d' }), /exactly one/);
  assert.throws(() => scheduleSpec({ cron: '@weekly now' }), /not a 5-field cron expression; write e\.g\./);
  assert.throws(() => scheduleSpec({ every: 'weekly' }), /--every "weekly" is not a duration; write e\.g\. 7d/);
  assert.throws(() => scheduleSpec({ every: '0d' }), /not a duration/);
});

test('one schedule per cluster and job, with an explicit catch-up window', () => {
  assert.equal(scheduleId('ha-vip', 'certs'), 'hakube-ha-vip-certs');
  assert.equal(scheduleId('ha-vip', 'etcd-snapshot'), 'hakube-ha-vip-etcd-snapshot');
  assert.equal(CATCHUP_WINDOW, '1h');
});
