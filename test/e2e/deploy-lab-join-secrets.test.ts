/**
 * examples/ha-vip.yaml on lab hosts, with m2's `kubeadm join --control-plane` hanging on the
 * host for a while (injected): during the join, every process's /proc/PID/cmdline on the
 * machine (lab hosts share its PID namespace) is read, and none holds the bootstrap token, the
 * CA hash or the certificate key, which reach kubeadm through a 0600 JoinConfiguration. The
 * hung join runs detached, in a session of its own rather than the SSH session's. Once it is
 * killed, the retry joins m2, the deploy verifies, and no join config is left on any host.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Worker } from '@temporalio/worker';
import type { TestServer } from '../helpers/temporal';
import { cmdline, netnsPids } from '../../lab/proc';
import { startDeploy } from '../../src/client/deploy';
import { progressQuery } from '../../src/workflows/defs';
import { KUBEADM_JOIN_CONFIG } from '../../src/render/paths';
import { commandLog, count, type ExampleLab, resultUnlessWaiting, type DeployBed, deployBed } from './deploy-support';

let server: TestServer;
let ex: ExampleLab;
let worker: Worker;
let bed: DeployBed | undefined;

before(async () => {
  bed = await deployBed('ha-vip', 'dsec');
  ({ server, ex, worker } = bed);
});
after(() => bed?.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ALL_CMDLINES = 'for f in /proc/[0-9]*/cmdline; do tr "\\000" " " <"$f" 2>/dev/null; echo; done';

/** Session id of a process (field 6 of /proc/PID/stat). */
function sessionOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
}

test('join secrets never appear on any process list; the join config exists only during the join', async () => {
  await ex.lab.fault('m2', 'command', 'kubeadm join', '--hang', '--times', '1');
  const m2 = ex.lab.state().hosts.find((h) => h.name === 'm2')!;
  const { result, progress, scans } = await worker.runUntil(async () => {
    const handle = await startDeploy(server.client, ex.spec, { retryInterval: '1s' });
    for (let i = 0; (await commandLog(ex.lab, 'm2', 'hang')).length === 0; i++) {
      assert.ok(i < 900, 'm2 never started its join');
      await sleep(500);
    }
    const conf = await ex.lab.exec('m2', ['sh', '-c', `stat -c %a ${KUBEADM_JOIN_CONFIG}; cat ${KUBEADM_JOIN_CONFIG}`]);
    assert.equal(conf.code, 0, conf.stderr);
    assert.match(conf.stdout, /^600\n/);
    const secrets = [
      /token: "?([a-z0-9]{6}\.[a-z0-9]{16})/.exec(conf.stdout)?.[1],
      /(sha256:[0-9a-f]{64})/.exec(conf.stdout)?.[1],
      /certificateKey: "?([0-9a-f]{64})/.exec(conf.stdout)?.[1],
    ];
    assert.ok(secrets.every(Boolean), `the join config holds all three secrets:\n${conf.stdout.replace(/[0-9a-f]{16,}/g, '<hex>')}`);

    let scans = 0;
    let sawJoin = false;
    for (let i = 0; i < 5; i++) {
      const all = await ex.lab.exec('m2', ['sh', '-c', ALL_CMDLINES]);
      assert.equal(all.code, 0, all.stderr);
      for (const s of secrets) assert.ok(!all.stdout.includes(s!), 'a join secret is on a process command line');
      sawJoin ||= all.stdout.includes(`kubeadm join --config ${KUBEADM_JOIN_CONFIG}`);
      scans++;
      await sleep(400);
    }
    assert.ok(sawJoin, 'the scans saw the joining kubeadm');

    // The hung join is detached: its session is the hakube runner's, not an SSH session.
    const hung = netnsPids(m2.netns).filter((p) => cmdline(p).join(' ').includes(`join --config ${KUBEADM_JOIN_CONFIG}`));
    assert.ok(hung.length > 0, 'found the hung join on m2');
    const leader = sessionOf(hung[0]!);
    assert.match(cmdline(leader).join(' '), /^sh -c d=\$1 um=\$2/, 'the join runs in its own session');
    // End the hang (the retry then joins for real): by pid, only the processes of that join.
    for (const p of hung) process.kill(p, 'SIGKILL');

    const result = await resultUnlessWaiting(handle);
    return { result, progress: await handle.query(progressQuery), scans };
  });
  assert.equal(scans, 5);
  assert.equal(result.state, 'done', JSON.stringify(progress.waiting ?? progress.error));
  assert.ok(result.verification?.ok, JSON.stringify(result.verification));
  const join = progress.phases.find((p) => p.name === 'join-masters')!.hosts.find((h) => h.host === 'm2')!.steps.find((s) => s.id === 'join-masters/m2/kubeadm-join')!;
  assert.equal(join.status, 'done');
  assert.equal(count(await commandLog(ex.lab, 'm2'), /^kubeadm join --config /), 1, 'one real join after the killed hang');
  for (const host of ['m2', 'm3', 'w1', 'w2']) {
    const left = await ex.lab.exec(host, ['test', '-e', KUBEADM_JOIN_CONFIG]);
    assert.notEqual(left.code, 0, `${host} still has ${KUBEADM_JOIN_CONFIG}`);
  }
});
