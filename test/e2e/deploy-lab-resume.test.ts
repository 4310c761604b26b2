/**
 * Durability on real hosts: the worker process is killed (SIGKILL) while m2's `kubeadm join`
 * hangs; a new worker process picks the run up where it was. The hosts' own command logs show
 * that no step completed before the kill ran again afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { startLab, type TestLab } from '../helpers/lab';
import { startTestServer, type TestServer } from '../helpers/temporal';
import { loadSpec } from '../../src/spec/load';
import { startDeploy } from '../../src/client/deploy';
import { progressQuery } from '../../src/workflows/defs';
import { cliEnv, commandLog, count, dropKubeconfig, ROOT } from './deploy-support';

let server: TestServer;
let lab: TestLab;
const workers: ChildProcess[] = [];

function startWorkerProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/hakube.js'), 'worker'], { env: cliEnv(server), stdio: ['ignore', 'ignore', 'pipe'] });
  workers.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('polling task queue')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited ${code}: ${err}`)));
  });
}

before(async () => {
  server = await startTestServer();
  lab = await startLab({ prefix: 'dres', hosts: ['m1', 'm2', 'm3'] });
});
after(async () => {
  dropKubeconfig(lab?.cluster);
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  await lab?.down();
  await server?.stop();
});

// Commands that only read state may legitimately be asked again (credential and health checks).
const READ_ONLY = /^kubectl .*\bget\b|^kubeadm token|upload-certs|^kubeadm join/;

test('a worker killed mid join-masters: a new worker resumes and no completed step runs again', async () => {
  const spec = loadSpec(lab.specPath);
  await lab.fault('m2', 'command', 'kubeadm join', '--hang');
  const first = await startWorkerProcess();
  const handle = await startDeploy(server.client, spec, { heartbeatTimeout: '8s', retryInterval: '1s' });
  // Wait until m2's join is under way (and hanging on the host).
  for (let i = 0; ; i++) {
    const p = await handle.query(progressQuery);
    const m2 = p.phases.find((x) => x.name === 'join-masters')!.hosts.find((h) => h.host === 'm2')!;
    if (m2.status === 'running') break;
    assert.ok(i < 600, `m2 never started joining: ${JSON.stringify(p.phases.map((x) => [x.name, x.status]))}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  await new Promise((r) => setTimeout(r, 3000));
  const before = Object.fromEntries(await Promise.all(['m1', 'm2', 'm3'].map(async (h) => [h, await commandLog(lab, h)] as const)));
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  await lab.fault('m2', 'command', 'kubeadm join', '--clear');
  await startWorkerProcess();
  // Resuming is about join-masters: wait for it to finish (later phases are other tests' business).
  for (let i = 0; ; i++) {
    const p = await handle.query(progressQuery);
    assert.notEqual(p.state, 'waiting', `the run waits for the operator: ${JSON.stringify(p.waiting)}`);
    assert.notEqual(p.state, 'failed', p.error);
    const phase = p.phases.find((x) => x.name === 'join-masters')!;
    if (phase.status === 'done') {
      assert.deepEqual(phase.hosts.map((h) => h.status), ['done', 'done']);
      break;
    }
    assert.ok(i < 600, 'join-masters did not finish after the new worker took over');
    await new Promise((r) => setTimeout(r, 1000));
  }
  await handle.terminate('test done: join-masters resumed');

  for (const host of ['m1', 'm2', 'm3']) {
    const afterLog = await commandLog(lab, host);
    for (const line of new Set(before[host].filter((l) => !READ_ONLY.test(l)))) {
      assert.equal(count(afterLog, new RegExp(`^${escape(line)}$`)), count(before[host], new RegExp(`^${escape(line)}$`)), `${host} ran again: ${line}`);
    }
  }
  const m1 = await commandLog(lab, 'm1');
  assert.equal(count(m1, /^kubeadm init (?!phase)/), 1);
  assert.equal(count(await commandLog(lab, 'm2'), /^kubeadm join /), 1, 'the hung join never reached kubeadm; the resumed one ran it once');
  assert.equal(count(await commandLog(lab, 'm3'), /^kubeadm join /), 1);
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
