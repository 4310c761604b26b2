/**
 * `hakube apply` on lab hosts through the CLI: examples/ha-vip.yaml deploys on 5 of 8 lab
 * hosts, then the spec gains one master (m4) and two workers (w3, w4) and `hakube plan --action
 * apply` shows the difference before `hakube apply` runs it. Afterwards every haproxy config
 * lists m4, m4 runs keepalived, the apiserver answers through the VIP with the two oldest
 * apiservers stopped, `kubeadm init` still ran once, the old joins did not run again, and the
 * cluster verifies. A keep-alive HTTPS connection opened through m2's haproxy before the apply
 * still answers afterwards on the same TCP connection, and no haproxy master was restarted:
 * the backends were reloaded in place. A change apply cannot make is refused with exit 2 before any host is touched.
 *
 * The same cluster then loses master0 (m1) and a worker (w4): m2 becomes master0, the etcd
 * member list shrinks to three healthy members, the Nodes are gone, m1 and w4 are clean (no
 * /etc/kubernetes, no kubelet, no VIP), no backend list names m1, and the cluster verifies.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
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

// This host's haproxy master (the lab's hosts share one PID namespace) and its start time.
const HAPROXY_MASTER = 'me=$(readlink /proc/self/ns/net); for p in $(pgrep -x haproxy); do [ "$(readlink /proc/$p/ns/net)" = "$me" ] || continue; pp=$(sed -n "s/^PPid:\\s*//p" /proc/$p/status); [ "$(cat /proc/$pp/comm)" = haproxy ] || echo "$p $(cut -d" " -f22 /proc/$p/stat)"; done';
const PROBE = 'if command -v curl >/dev/null 2>&1; then curl -sk --max-time 3 "$1"; else wget -q --no-check-certificate -T 3 -O - "$1"; fi || echo unreachable';

type Doc = { metadata: { name: string }; spec: { ssh: Record<string, unknown>; hosts: Array<{ name: string; address: string; roles: string[] }>; loadBalancer: { vip?: string }; networking?: Record<string, unknown> } };

/**
 * One TLS connection from a worker through a master's haproxy (openssl s_client on w1), asking
 * /healthz with keep-alive every few seconds: if haproxy restarts, the connection closes and
 * the answers stop. Not through the VIP: verify's failover drill moves the VIP on purpose.
 */
interface HeldConnection {
  asked: number;
  answered: () => number;
  closed: () => boolean;
  ask: () => void;
  stop: () => void;
}

function holdConnection(lb: string): HeldConnection {
  const child: ChildProcess = spawn(lab.sshArgv('w1')[0], [...lab.sshArgv('w1').slice(1), `openssl s_client -quiet -connect ${lb}:8443 2>/dev/null`], { stdio: ['pipe', 'pipe', 'ignore'] });
  let out = '';
  let exited = false;
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.on('exit', () => (exited = true));
  const held: HeldConnection = {
    asked: 0,
    // Each answer's body is "ok" with no newline: the next status line follows it directly.
    answered: () => (out.match(/HTTP\/1\.1 200 /g) ?? []).length,
    closed: () => exited,
    ask: () => {
      if (exited) return;
      held.asked++;
      child.stdin!.write(`GET /healthz HTTP/1.1\r\nHost: ${lb}\r\n\r\n`);
    },
    stop: () => {
      clearInterval(timer);
      child.kill();
    },
  };
  const timer = setInterval(held.ask, 5000);
  return held;
}

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
    // The live cluster, read through master0 by the worker: the new hosts have no Node yet, and
    // every haproxy's backend list (read from its config) gains m4.
    assert.match(plan.stdout, /the cluster as it is \(read through m1\):\n/);
    assert.match(plan.stdout, /\n {2}m4: in the spec, no Node in the cluster: apply joins it\n/);
    for (const m of ['m1', 'm2', 'm3']) assert.match(plan.stdout, new RegExp(`\\n {2}${m}: haproxy backends (\\S+:6443 ){3}-> (\\S+:6443 ){3}${net.replace(/\./g, '\\.')}\\.21:6443 \\(reloaded in place\\)`));

    const haproxyPids = await Promise.all(['m1', 'm2', 'm3'].map(async (m) => (await lab.exec(m, ['sh', '-c', HAPROXY_MASTER])).stdout.trim()));
    // m2's haproxy (its backends are rewritten and reloaded by the apply).
    const held = holdConnection(lab.address.m2);
    await new Promise((res) => setTimeout(res, 3000));
    held.ask();
    const t0 = Date.now();
    let apply;
    try {
      apply = await hakube(server, ['apply', '-f', full]);
      console.log(`apply (+1 master, +2 workers): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      held.ask();
      await new Promise((res) => setTimeout(res, 3000));
      console.log(`held connection through m2's haproxy: ${held.answered()} of ${held.asked} answers, closed: ${held.closed()}`);
      assert.equal(held.closed(), false, "the connection through m2's haproxy survived the apply");
      assert.ok(held.asked >= 3, `asked ${held.asked} times`);
      assert.equal(held.answered(), held.asked, 'every /healthz on the held connection was answered');
    } finally {
      held.stop();
    }
    assert.equal(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
    assert.match(apply.stdout, /verification: PASSED/);
    const after = await Promise.all(['m1', 'm2', 'm3'].map(async (m) => (await lab.exec(m, ['sh', '-c', HAPROXY_MASTER])).stdout.trim()));
    assert.deepEqual(after, haproxyPids, 'haproxy was reloaded in place, not restarted');
    for (const m of ['m1', 'm2', 'm3']) assert.match((await lab.exec(m, ['cat', '/var/log/pods/kube-system_haproxy.log'])).stdout, /Reloading HAProxy/, `${m}: haproxy reloaded`);
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

const ETCDCTL = ['etcdctl', '--endpoints', 'https://127.0.0.1:2379', '--cacert', '/etc/kubernetes/pki/etcd/ca.crt', '--cert', '/etc/kubernetes/pki/etcd/healthcheck-client.crt', '--key', '/etc/kubernetes/pki/etcd/healthcheck-client.key'];
const KUBECTL = ['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf'];

test('apply then removes master0 (m1) and a worker (w4): m2 takes over, the member list shrinks with quorum, the hosts are clean, the cluster verifies', async () => {
  // A worker runs once: this test gets its own.
  pool.closeAll();
  ({ worker, pool } = await realWorker(server));
  const doc = parse(readFileSync(full, 'utf8')) as Doc;
  doc.spec.hosts = doc.spec.hosts.filter((h) => h.name !== 'm1' && h.name !== 'w4');
  const smaller = full.replace(/\.yaml$/, '-smaller.yaml');
  writeFileSync(smaller, stringify(doc));
  // The apiservers stopped by the test before need a moment to serve again.
  for (let i = 0; i < 60; i++) {
    const r = await lab.exec('m2', [...KUBECTL, 'get', '--raw', '/readyz']);
    if (r.stdout.trim() === 'ok') break;
    await new Promise((res) => setTimeout(res, 2000));
  }
  await worker.runUntil(async () => {
    const plan = await hakube(server, ['plan', '-f', smaller, '--action', 'apply']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /remove workers \(drain, delete, reset\): w4\nremove control planes \(etcd member first, then reset\): m1\nmaster0 becomes m2/);
    assert.match(plan.stdout, /the cluster as it is \(read through m1\):\n {2}m2: haproxy backends (\S+ ){4}-> (\S+ ){3}\(reloaded in place\)\n {2}m3: /);
    const t0 = Date.now();
    const apply = await hakube(server, ['apply', '-f', smaller]);
    console.log(`apply (-master0, -1 worker): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
    assert.match(apply.stdout, /verification: PASSED/);
  });
  const members = await lab.exec('m2', [...ETCDCTL, 'member', 'list']);
  assert.equal(members.code, 0, members.stderr);
  assert.deepEqual(members.stdout.trim().split('\n').map((l) => l.split(', ')[2]).sort(), ['m2', 'm3', 'm4'], members.stdout);
  const health = await lab.exec('m2', [...ETCDCTL, 'endpoint', 'health', '--cluster']);
  assert.equal(health.code, 0, `quorum holds: ${health.stdout}${health.stderr}`);
  // etcdctl reports health on stderr.
  assert.equal((`${health.stdout}${health.stderr}`.match(/ is healthy/g) ?? []).length, 3, health.stderr);
  const nodes = await lab.exec('m2', [...KUBECTL, 'get', 'nodes', '-o', 'name']);
  assert.equal(nodes.code, 0, nodes.stderr);
  assert.deepEqual(nodes.stdout.trim().split('\n').sort(), ['node/m2', 'node/m3', 'node/m4', 'node/w1', 'node/w2', 'node/w3']);
  for (const host of ['m1', 'w4']) {
    // A lab host's distro haproxy package keeps its own /etc/haproxy/haproxy.cfg: only hakube's must go.
    const probe = await lab.exec(host, ['sh', '-c', 'ls -d /etc/kubernetes /var/lib/kubelet /var/lib/etcd/member 2>/dev/null; grep -l "Rendered by hakube" /etc/haproxy/haproxy.cfg 2>/dev/null; systemctl is-active kubelet; ip -o -4 addr show']);
    assert.doesNotMatch(probe.stdout, /^\/etc\/kubernetes$|^\/var\/lib\/kubelet$|^\/var\/lib\/etcd\/member$|^\/etc\/haproxy\/haproxy\.cfg$/m, `${host} still has: ${probe.stdout}`);
    assert.doesNotMatch(probe.stdout, /^active$/m, `${host}: kubelet still runs`);
    assert.ok(!probe.stdout.includes(`${net}.250/`), `${host} still holds the VIP`);
  }
  for (const m of ['m2', 'm3', 'm4']) assert.doesNotMatch((await lab.exec(m, ['cat', '/etc/haproxy/haproxy.cfg'])).stdout, /server m1 /, `${m}'s haproxy no longer lists m1`);
  // The health gate was put on the new master0 (its step runs before the member removal's).
  assert.equal((await lab.exec('m2', ['test', '-f', '/etc/hakube/bin/etcd-gate-m1.sh'])).code, 0, 'the health gate ran on m2');
});
