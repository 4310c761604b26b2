/**
 * A deploy's record with no worker left: `hakube logs` reads a waiting run's steps from its
 * history when no worker answers the query, and a terminated run's without asking at all;
 * `hakube list` says a terminated run was terminated, not "waiting" as its memo last said.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { TOKEN } from './deploy-fakes';
import { hakube } from './deploy-support';
import { fakeDeployBed } from './fake-deploy-bed';

const SPEC = path.join(__dirname, '../../examples/ha-vip.yaml');
const bed = fakeDeployBed(SPEC, 'join-workers/w2');

function assertStepLogs(stdout: string): void {
  assert.match(stdout, /^=== prep\/m1\/packages {2}install missing packages .*\[done, 1 attempt\]\nran prep\/m1\/packages$/m);
  assert.match(stdout, /^=== join-masters\/m3\/kubeadm-join {2}kubeadm join --control-plane .*\[done, 1 attempt\]$/m);
  assert.match(stdout, /^=== join-workers\/w2\/kubeadm-join {2}kubeadm join .*\[failed, 1 attempt\]\nerror: CommandFailedError: w2: kubeadm join .* exited 1: injected\ninjected failure$/m);
  assert.ok(!stdout.includes(TOKEN), 'no bootstrap token in the logs');
}

test('logs and list of a waiting run, then a terminated one, with no worker', async () => {
  const deploy = await hakube(bed.server, ['deploy', '-f', SPEC]);
  assert.equal(deploy.code, 3, deploy.stderr);
  await bed.stopWorker();

  const waiting = await hakube(bed.server, ['logs', 'ha-vip']);
  assert.equal(waiting.code, 0, waiting.stderr);
  assert.equal(waiting.stderr, 'hakube: no worker answers the progress query; showing what the history records\n');
  assertStepLogs(waiting.stdout);
  const one = await hakube(bed.server, ['logs', 'ha-vip', '--host', 'w1']);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /^=== prep\/w1\/packages /m);
  assert.doesNotMatch(one.stdout, /prep\/m1\//);

  const before = await hakube(bed.server, ['list']);
  assert.match(before.stdout, /^ha-vip\s+running\s+waiting \(join-workers: w2\)\s+join-workers\s/m);
  await bed.server.client.workflow.getHandle('hakube/ha-vip/deploy').terminate('operator gave up');

  const list = await hakube(bed.server, ['list']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^ha-vip\s+terminated\s+terminated\s+join-workers\s/m);
  assert.doesNotMatch(list.stdout, /waiting/);

  const t0 = Date.now();
  const ended = await hakube(bed.server, ['logs', 'ha-vip']);
  assert.equal(ended.code, 0, ended.stderr);
  assert.equal(ended.stderr, '', 'a finished run is read from its history without asking for a worker');
  assertStepLogs(ended.stdout);
  assert.ok(Date.now() - t0 < 8000, `no query timeout waited (${Date.now() - t0} ms)`);
});
