/**
 * A lab host whose link is cut while a detached command runs on it: keepalive fails the worker's
 * side within seconds, the command runs on (its copy is outside the SSH session), and once the
 * link is back a new connection re-attaches to the same copy and gets its result, with the
 * command started exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startLab, type TestLab } from '../helpers/lab';
import { SshPool, SshUnreachableError, runDetached, type SshTarget } from '../../src/ssh';

let lab: TestLab;
const pools: SshPool[] = [];

before(async () => {
  lab = await startLab({ prefix: 'dpart', hosts: ['h1'] });
});
after(async () => {
  for (const p of pools) p.closeAll();
  await lab?.fault('h1', 'link-up').catch(() => undefined);
  await lab?.down();
});

function target(): SshTarget {
  const s = lab.state();
  return { host: 'h1', address: lab.address.h1!, port: s.sshPort, user: s.sshUser, privateKeyPath: s.privateKeyPath, knownHostsPath: s.knownHostsPath };
}

async function connect() {
  const p = new SshPool();
  pools.push(p);
  return p.get(target());
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a cut link fails the attempt in seconds; the copy runs on and the next attempt re-attaches to it', async () => {
  const argv = ['sh', '-c', 'echo started >> /root/starts.log; echo following; sleep 25; echo finished'];
  const key = 'join-workers/h1/partition#0';
  let following = false;
  const first = runDetached(await connect(), argv, { key, owner: 'run-1', onOutput: () => (following = true) });
  for (let i = 0; !following; i++) {
    assert.ok(i < 200, 'the first attempt never followed its copy');
    await sleep(100);
  }
  const cutAt = Date.now();
  await lab.fault('h1', 'link-down');
  const err = await first.then(
    () => assert.fail('the attempt should fail while the link is down'),
    (e: unknown) => e as Error,
  );
  const seconds = (Date.now() - cutAt) / 1000;
  assert.ok(err instanceof SshUnreachableError, `${err.constructor.name}: ${err.message}`);
  assert.ok(seconds < 25, `the partition was noticed after ${seconds} s`);
  console.log(`silent partition noticed after ${seconds.toFixed(1)} s`);

  // On the host (reached without the network) the copy still runs.
  const onHost = await lab.exec('h1', ['sh', '-c', 'cat /root/starts.log; ls /var/lib/hakube/run/']);
  assert.equal(onHost.stdout.split('\n').filter((l) => l === 'started').length, 1);
  assert.match(onHost.stdout, /hakube-join-workers\.h1\.partition\.0/);
  const busy = await lab.exec('h1', ['flock', '-n', '/var/lib/hakube/run/hakube-join-workers.h1.partition.0/lock', 'true']);
  assert.notEqual(busy.code, 0, 'the copy holds its lock');

  await lab.fault('h1', 'link-up');
  const second = await runDetached(await connect(), argv, { key, owner: 'run-1' });
  assert.equal(second.exitCode, 0);
  assert.match(second.stdoutTail, /following\nfinished/);
  const starts = await lab.exec('h1', ['cat', '/root/starts.log']);
  assert.equal(starts.stdout, 'started\n', 'one copy only');
});
