/**
 * `hakube apply` on lab hosts through the CLI: examples/ha-vip.yaml deploys on 5 of 8 lab
 * hosts, then the spec gains one master (m4) and two workers (w3, w4) and `hakube plan --action
 * apply` shows the difference before `hakube apply` runs it. Afterwards every haproxy config
 * lists m4, m4 runs keepalived, the apiserver answers through the VIP with the two oldest
 * apiservers stopped, `kubeadm init` still ran once, the old joins did not run again, and the
 * cluster verifies. A change apply cannot make is refused with exit 2 before any host is touched.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import type { Worker } from '@temporalio/worker';
import { clusterDir } from '../../lab/paths';
import { freeSubnet, startLabFromFile, uniqueClusterName, type TestLab } from '../helpers/lab';
import type { TestServer } from '../helpers/temporal';
import { startTestServer } from '../helpers/temporal';
import { commandLog, count, dropKubeconfig, hakube, realWorker, ROOT } from './deploy-support';
import type { SshPool } from '../../src/ssh';

let server: TestServer;
let lab: TestLab;
let worker: Worker;
let pool: SshPool;
let small: string;
let full: string;
let cluster: string;
let net: string;

const PROBE = 'if command -v curl >/dev/null 2>&1; then curl -sk --max-time 3 "$1"; else wget -q --no-check-certificate -T 3 -O - "$1"; fi || echo unreachable';

type Doc = { metadata: { name: string }; spec: { ssh: Record<string, unknown>; hosts: Array<{ name: string; address: string; roles: string[] }>; loadBalancer: { vip?: string }; networking?: Record<string, unknown> } };

before(async () => {
  const doc = parse(readFileSync(path.join(ROOT, 'examples/ha-vip.yaml'), 'utf8')) as Doc;
  cluster = uniqueClusterName('dapl');
  net = await freeSubnet();
  const dir = clusterDir(cluster);
  mkdirSync(dir, { recursive: true });
  doc.metadata.name = cluster;
  doc.spec.ssh.privateKeyPath = path.join(dir, 'id_ed25519');
  doc.spec.ssh.knownHostsPath = path.join(dir, 'known_hosts');
  doc.spec.loadBalancer.vip = `${net}.250`;
  doc.spec.hosts.forEach((h, i) => (h.address = `${net}.${i + 11}`));
  small = path.join(dir, 'cluster-small.yaml');
  writeFileSync(small, stringify(doc));
  doc.spec.hosts.splice(3, 0, { name: 'm4', address: `${net}.21`, roles: ['control-plane'] });
  doc.spec.hosts.push({ name: 'w3', address: `${net}.22`, roles: ['worker'] }, { name: 'w4', address: `${net}.23`, roles: ['worker'] });
  full = path.join(dir, 'cluster.yaml');
  writeFileSync(full, stringify(doc));
  server = await startTestServer();
  lab = await startLabFromFile(full);
  ({ worker, pool } = await realWorker(server));
});
after(async () => {
  pool?.closeAll();
  dropKubeconfig(cluster);
  await lab?.down();
  await server?.stop();
});

test('apply adds one master and two workers: every haproxy lists it, the VIP serves with two old apiservers stopped, the cluster verifies', async () => {
  await worker.runUntil(async () => {
    const deploy = await hakube(server, ['deploy', '-f', small]);
    assert.equal(deploy.code, 0, `${deploy.stdout}\n${deploy.stderr}`);

    // Refused before any host is touched: the pod subnet cannot change in place.
    const bad = full.replace(/\.yaml$/, '-bad.yaml');
    const doc = parse(readFileSync(full, 'utf8')) as Doc;
    doc.spec.networking = { ...(doc.spec.networking ?? {}), podSubnet: '10.250.0.0/16' };
    writeFileSync(bad, stringify(doc));
    const refused = await hakube(server, ['apply', '-f', bad]);
    assert.equal(refused.code, 2, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /spec\.networking\.podSubnet changed from "10\.244\.0\.0\/16" to "10\.250\.0\.0\/16"/);

    const plan = await hakube(server, ['plan', '-f', full, '--action', 'apply']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /add control planes \(one at a time, fresh credentials\): m4\nadd workers: w3, w4/);
    assert.match(plan.stdout, /\n {2}m1: [^\n]*\/etc\/haproxy\/haproxy\.cfg \(changed\)/);

    const t0 = Date.now();
    const apply = await hakube(server, ['apply', '-f', full]);
    console.log(`apply (+1 master, +2 workers): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
    assert.match(apply.stdout, /verification: PASSED/);
  });

  for (const m of ['m1', 'm2', 'm3', 'm4']) {
    const cfg = await lab.exec(m, ['cat', '/etc/haproxy/haproxy.cfg']);
    assert.match(cfg.stdout, new RegExp(`server m4 ${net.replace(/\./g, '\\.')}\\.21:6443`), `${m} haproxy lists m4`);
  }
  assert.equal((await lab.exec('m4', ['test', '-f', '/etc/keepalived/keepalived.conf'])).code, 0, 'keepalived configured on m4');
  assert.equal(count(await commandLog(lab, 'm1'), /^kubeadm init (?!phase)/), 1);
  for (const h of ['m2', 'm3', 'w1', 'w2', 'm4', 'w3', 'w4']) assert.equal(count(await commandLog(lab, h), /^kubeadm join /), 1, `${h} joined exactly once`);

  // The two oldest apiservers stopped: the VIP still answers through the newer ones.
  for (const m of ['m1', 'm2']) assert.equal((await lab.exec(m, ['mv', '/etc/kubernetes/manifests/kube-apiserver.yaml', '/root/kube-apiserver.yaml'])).code, 0);
  try {
    let answer = '';
    for (let i = 0; i < 40 && answer !== 'ok'; i++) {
      const stopped = await Promise.all(['m1', 'm2'].map((m) => lab.exec(m, ['sh', '-c', PROBE, 'sh', `https://${lab.address[m]}:6443/healthz`])));
      const r = await lab.exec('w3', ['sh', '-c', PROBE, 'sh', `https://${net}.250:8443/healthz`]);
      answer = stopped.every((s) => !/^ok$/m.test(s.stdout)) ? r.stdout.trim() : 'old apiservers still up';
      if (answer !== 'ok') await new Promise((res) => setTimeout(res, 1500));
    }
    assert.equal(answer, 'ok', 'the VIP serves /healthz with m1 and m2 apiservers stopped');
  } finally {
    for (const m of ['m1', 'm2']) await lab.exec(m, ['mv', '/root/kube-apiserver.yaml', '/etc/kubernetes/manifests/kube-apiserver.yaml']);
  }
});
