/**
 * The operator's commands as subprocesses against a real dev server, with a worker running
 * in-memory test activities (w2's join always fails): deploy exits 3 while waiting, a second
 * deploy is refused, status/logs/list show where it stands, a skip of a master is refused,
 * skipping the worker lets the run finish, and steering a finished run is refused; with the
 * worker gone, the finished run's status, logs and list still answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Progress } from '../../src/workflows/defs';
import { hakube } from './deploy-support';
import { fakeDeployBed } from './fake-deploy-bed';

const SPEC = path.join(__dirname, '../../examples/ha-vip.yaml');
const bed = fakeDeployBed(SPEC, 'join-workers/w2');

test('deploy, status, logs, list, skip and retry from the command line', async () => {
  const deploy = await hakube(bed.server, ['deploy', '-f', SPEC]);
  assert.equal(deploy.code, 3, deploy.stderr);
  assert.match(deploy.stdout, /deploying ha-vip: hakube\/ha-vip\/deploy/);
  assert.match(deploy.stdout, /\[join-masters\] m3: done/);
  assert.match(deploy.stdout, /WAITING for the operator in join-workers \(w2\): w2: CommandFailedError/);
  assert.match(deploy.stdout, /hakube skip ha-vip <host>/);
  assert.match(deploy.stdout, /Web UI: http:\/\/127\.0\.0\.1:8233\/namespaces\/default\/workflows\/hakube%2Fha-vip%2Fdeploy/);

  const again = await hakube(bed.server, ['deploy', '-f', SPEC, '--detach']);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /cannot deploy ha-vip: the cluster is locked by its running deploy \(hakube\/ha-vip\/deploy since /);

  const status = await hakube(bed.server, ['status', 'ha-vip', '--json']);
  assert.equal(status.code, 3);
  const p = JSON.parse(status.stdout) as Progress;
  assert.deepEqual(p.waiting?.hosts, ['w2']);
  assert.equal(p.phases.find((x) => x.name === 'join-workers')!.hosts.find((h) => h.host === 'w2')!.status, 'compensated');

  const board = await hakube(bed.server, ['status', 'ha-vip']);
  assert.equal(board.code, 3);
  assert.match(board.stdout, /join-workers\s+waiting\s+w1 ✓\s+w2 ↺/);

  const logs = await hakube(bed.server, ['logs', 'ha-vip', '--host', 'w2']);
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /=== join-workers\/w2\/kubeadm-join .*\[failed/);
  assert.match(logs.stdout, /injected failure/);
  const unknownHost = await hakube(bed.server, ['logs', 'ha-vip', '--host', 'nope']);
  assert.equal(unknownHost.code, 2);

  const list = await hakube(bed.server, ['list']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /ha-vip\s+running\s+waiting \(join-workers: w2\)\s+join-workers/);

  const badSkip = await hakube(bed.server, ['skip', 'ha-vip', 'm2']);
  assert.equal(badSkip.code, 2);
  assert.match(badSkip.stderr, /refused: m2 is not a failed worker/);

  const skip = await hakube(bed.server, ['skip', 'ha-vip', 'w2']);
  assert.equal(skip.code, 0, skip.stderr);
  const watch = await hakube(bed.server, ['status', 'ha-vip', '--watch']);
  assert.equal(watch.code, 0, watch.stderr);
  assert.match(watch.stdout, /verification: PASSED/);
  assert.match(watch.stdout, /skipped hosts: w2/);
  assert.match(watch.stdout, /kubeconfig: \/tmp\/admin\.conf/);

  const late = await hakube(bed.server, ['retry', 'ha-vip']);
  assert.equal(late.code, 2);
  assert.match(late.stderr, /not running \(completed\)/);
  // With no worker left to answer queries, a finished run's result carries its whole board.
  await bed.stopWorker();
  const closed = await hakube(bed.server, ['status', 'ha-vip']);
  assert.equal(closed.code, 0, closed.stderr);
  assert.doesNotMatch(closed.stdout, /start a worker/);
  assert.match(closed.stdout, /^ +join-masters +done +m2 ✓ +m3 ✓$/m);
  assert.match(closed.stdout, /verification: PASSED/);
  assert.match(closed.stdout, /skipped hosts: w2/);
  const closedHost = await hakube(bed.server, ['status', 'ha-vip', '--host', 'w2']);
  assert.equal(closedHost.code, 0, closedHost.stderr);
  assert.match(closedHost.stdout, /injected failure/);
  // A done host's tails stay out of the result: its detail comes from the history.
  const closedDone = await hakube(bed.server, ['status', 'ha-vip', '--host', 'm2']);
  assert.equal(closedDone.code, 0, closedDone.stderr);
  assert.match(closedDone.stdout, /ran join-masters\/m2\/kubeadm-join/);
  const closedJson = await hakube(bed.server, ['status', 'ha-vip', '--json']);
  assert.equal(closedJson.code, 0, closedJson.stderr);
  assert.equal((JSON.parse(closedJson.stdout) as Progress).state, 'done');
  const closedLogs = await hakube(bed.server, ['logs', 'ha-vip']);
  assert.equal(closedLogs.code, 0, closedLogs.stderr);
  assert.equal(closedLogs.stderr, '');
  assert.match(closedLogs.stdout, /^=== join-masters\/m2\/kubeadm-join {2}.*\[done, 1 attempt\]\nran join-masters\/m2\/kubeadm-join$/m);
  assert.match(closedLogs.stdout, /^=== join-workers\/w2\/kubeadm-join {2}.*\[failed/m);
  const closedList = await hakube(bed.server, ['list']);
  assert.match(closedList.stdout, /^ha-vip\s+completed\s+done\s/m);
  const missing = await hakube(bed.server, ['status', 'no-such-cluster']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no deploy of no-such-cluster found/);
});
