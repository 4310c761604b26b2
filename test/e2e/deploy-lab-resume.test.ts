/**
 * Durability on real hosts: m2's `kubeadm join` completes, then the next step of the same
 * activity (installing root's kubeconfig) hangs on the host, and the worker process is killed
 * (SIGKILL). A new worker process takes over: the activity resumes at the step it heartbeated,
 * so the hosts' own command logs show `kubeadm join` ran once on m2, `kubeadm init` once on
 * m1, and no command of a phase finished before the kill ran again.
 */
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type TestLab } from '../helpers/lab';
import { startTestServer, type TestServer } from '../helpers/temporal';
import { loadSpec } from '../../src/spec/load';
import { startDeploy } from '../../src/client/deploy';
import { progressQuery } from '../../src/workflows/defs';
import { commandLog, count, dropKubeconfig, workerProcess } from './deploy-support';

let server: TestServer;
let lab: TestLab;
const workers: ChildProcess[] = [];
const INSTALL_KUBECONFIG = 'install -m 0600 /etc/kubernetes/admin.conf /root/.kube/config';

const startWorkerProcess = () => workerProcess(server, workers);

before(async () => {
  server = await startTestServer();
  lab = await startLab({ prefix: 'dres', hosts: ['m1', 'm2', 'm3'] });
});
after(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  dropKubeconfig(lab?.cluster);
  await lab?.down();
  await server?.stop();
});

// kubeadm itself runs systemctl for the kubelet on every join, and credential and health checks
// read state again: those lines may repeat without any step having run twice.
const MAY_REPEAT = /^systemctl |^kubectl .*\b(get|wait)\b|^kubeadm token|upload-certs/;

test('a worker killed mid join-masters: a new worker resumes at the step it was on', async () => {
  const spec = loadSpec(lab.specPath);
  // Once: the shim stays installed after it, so the host also logs the resumed run of the step.
  await lab.fault('m2', 'command', INSTALL_KUBECONFIG, '--hang', '--times', '1');
  const first = await startWorkerProcess();
  const handle = await startDeploy(server.client, spec, { heartbeatTimeout: '8s', retryInterval: '1s' });
  // Wait until m2 has joined and hangs on the step after the join.
  for (let i = 0; (await commandLog(lab, 'm2', 'hang')).length === 0; i++) {
    assert.ok(i < 600, 'm2 never reached the step after kubeadm join');
    await new Promise((r) => setTimeout(r, 500));
  }
  // Heartbeats are throttled (to 80% of the 8 s timeout): let the one for this step reach the server.
  await new Promise((r) => setTimeout(r, 8000));
  const before = Object.fromEntries(await Promise.all(['m1', 'm2', 'm3'].map(async (h) => [h, await commandLog(lab, h)] as const)));
  assert.equal(count(before.m2, /^kubeadm join /), 1, 'm2 joined before the kill');
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  await startWorkerProcess();

  // Resuming is about join-masters: wait for it to finish (later phases are other tests' business).
  for (let i = 0; ; i++) {
    // Right after the switch a query may still be routed to the dead worker: ask again.
    const p = await handle.query(progressQuery).catch(() => undefined);
    if (!p) {
      assert.ok(i < 600, 'no worker answers queries after the switch');
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    assert.notEqual(p.state, 'waiting', `the run waits for the operator: ${JSON.stringify(p.waiting)}`);
    assert.notEqual(p.state, 'failed', p.error);
    const phase = p.phases.find((x) => x.name === 'join-masters')!;
    if (phase.status === 'done') {
      assert.deepEqual(phase.hosts.map((h) => h.status), ['done', 'done']);
      const m2 = phase.hosts.find((h) => h.host === 'm2')!;
      assert.equal(m2.steps[0].attempts, 1, 'the join step ran in one attempt only');
      break;
    }
    assert.ok(i < 600, 'join-masters did not finish after the new worker took over');
    await new Promise((r) => setTimeout(r, 1000));
  }
  await handle.terminate('test done: join-masters resumed');

  const m2 = await commandLog(lab, 'm2');
  assert.equal(count(m2, /^kubeadm join /), 1, 'the resumed activity did not run the finished join again');
  assert.equal(count(await commandLog(lab, 'm2', 'hang'), /^install /), 1);
  assert.equal(count(m2, new RegExp(`^${escape(INSTALL_KUBECONFIG)}$`)), 1, 'the hung step ran once it was resumed');
  assert.equal(count(await commandLog(lab, 'm1'), /^kubeadm init (?!phase)/), 1);
  assert.equal(count(await commandLog(lab, 'm3'), /^kubeadm join /), 1);
  for (const host of ['m1', 'm2', 'm3']) {
    const afterLog = await commandLog(lab, host);
    for (const line of new Set(before[host].filter((l) => !MAY_REPEAT.test(l)))) {
      const re = new RegExp(`^${escape(line)}$`);
      assert.equal(count(afterLog, re), count(before[host], re), `${host} ran again: ${line}`);
    }
  }
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
