/**
 * A master join that keeps failing, through the CLI on the lab (examples/ha-vip.yaml topology):
 * m3's etcd cannot start, so the real `kubeadm join` adds m3's etcd member (a learner) to the
 * cluster and then fails to promote it. The workflow compensates m3 (kubeadm reset and cleanup on
 * m3, its etcd member removed from the real etcd cluster and its Node through master0, haproxy
 * backends without it), checks master0 and etcd, and waits: `hakube deploy` exits 3. While it
 * waits the uploaded certs expire on master0 (forced); the fault is cleared and `hakube retry`
 * completes the run, the next join getting freshly uploaded certs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Worker } from '@temporalio/worker';
import type { TestServer } from '../helpers/temporal';
import { deployHandle } from '../../src/client/deploy';
import type { Progress } from '../../src/workflows/defs';
import { commandLog, count, type ExampleLab, hakube, resultUnlessWaiting, type DeployBed, deployBed } from './deploy-support';

let server: TestServer;
let ex: ExampleLab;
let worker: Worker;
let bed: DeployBed | undefined;

before(async () => {
  bed = await deployBed('ha-vip', 'dcmp');
  ({ server, ex, worker } = bed);
});
after(() => bed?.close());

test('a master join that always fails is compensated, waits (exit 3); after cert expiry, retry completes', async () => {
  await ex.lab.fault('m3', 'command', 'etcd', '--fail');
  const cluster = ex.spec.metadata.name;
  const m3Peer = `https://${ex.lab.address.m3}:2380`;
  const etcdMembers = async () => (await ex.lab.ssh('m1', 'ETCDCTL_API=3 etcdctl --endpoints https://127.0.0.1:2379 --cacert /etc/kubernetes/pki/etcd/ca.crt ' +
    '--cert /etc/kubernetes/pki/etcd/healthcheck-client.crt --key /etc/kubernetes/pki/etcd/healthcheck-client.key member list')).stdout;
  await worker.runUntil(async () => {
    const deploy = await hakube(server, ['deploy', '-f', ex.specPath, '--attempts', '2']);
    assert.equal(deploy.code, 3, `deploy should wait for the operator:\n${deploy.stdout}\n${deploy.stderr}`);
    assert.match(deploy.stdout, /WAITING for the operator in join-masters \(m3\)/);
    assert.match(deploy.stdout, /health after compensation: OK/);
    assert.match(deploy.stdout, /hakube retry /);

    const status = await hakube(server, ['status', cluster, '--json']);
    assert.equal(status.code, 3);
    const p = JSON.parse(status.stdout) as Progress;
    assert.equal(p.state, 'waiting');
    assert.ok(p.waiting?.health?.ok, `master0 and etcd healthy after compensation: ${JSON.stringify(p.waiting?.health)}`);
    const m3 = p.phases.find((x) => x.name === 'join-masters')!.hosts.find((h) => h.host === 'm3')!;
    assert.equal(m3.status, 'compensated');
    assert.equal(m3.steps[0].status, 'failed');
    assert.equal(m3.steps[0].attempts, 2);
    // Compensation ran on m3 and through master0: m3 was reset, master0 never.
    assert.equal(count(await commandLog(ex.lab, 'm3'), /^kubeadm reset -f/), 1);
    assert.equal(count(await commandLog(ex.lab, 'm1'), /^kubeadm reset/), 0);
    assert.ok(count(await commandLog(ex.lab, 'm1'), /^kubectl .* delete node m3/) >= 1, 'm3 Node removed via master0');
    // The join added m3's etcd member (a learner that never started); after compensation the real
    // etcd cluster has only m1's and m2's.
    const members = await etcdMembers();
    assert.doesNotMatch(members, new RegExp(m3Peer.replace(/\./g, '\\.')), members);
    assert.equal(members.trim().split('\n').length, 2, members);
    // A bad request is refused with a reason.
    const skip = await hakube(server, ['skip', cluster, 'm3']);
    assert.equal(skip.code, 2);
    assert.match(skip.stderr, /refused: .*only failed workers can be skipped/);

    const uploadsBefore = count(await commandLog(ex.lab, 'm1'), /^kubeadm init phase upload-certs/);
    assert.match(await ex.lab.fault('m1', 'expire-certs'), /expired [1-9]\d* token/);
    await ex.lab.fault('m3', 'command', 'etcd', '--clear');
    const retry = await hakube(server, ['retry', cluster]);
    assert.equal(retry.code, 0, retry.stderr);
    assert.match(retry.stdout, /retrying join-masters on m3/);
    const result = await resultUnlessWaiting(deployHandle(server.client, cluster));
    assert.equal(result.state, 'done');
    assert.ok(result.verification?.ok, JSON.stringify(result.verification));
    const m1 = await commandLog(ex.lab, 'm1');
    assert.equal(count(m1, /^kubeadm init phase upload-certs/), uploadsBefore + 1, 'the expired certs were uploaded again before m3 joined');
    assert.equal(count(m1, /^kubeadm init (?!phase)/), 1);
    assert.equal((await etcdMembers()).trim().split('\n').filter((l) => l.includes(', started, ')).length, 3);
  });
});
