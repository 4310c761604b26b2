/**
 * A master join that keeps failing under the external-etcd topology (examples/ha-local-proxy.yaml,
 * seed 000): k3 is a control plane AND an external etcd member. Compensation resets k3's
 * control plane only; its etcd member, which kubeadm does not own here, keeps its data and stays
 * healthy, so the external cluster keeps all three members. Clearing the fault and retrying
 * completes a verified run.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Worker } from '@temporalio/worker';
import type { TestServer } from '../helpers/temporal';
import { deployHandle } from '../../src/client/deploy';
import { commandLog, count, type ExampleLab, hakube, resultUnlessWaiting, type DeployBed, deployBed } from './deploy-support';

let server: TestServer;
let ex: ExampleLab;
let worker: Worker;
let bed: DeployBed | undefined;

before(async () => {
  bed = await deployBed('ha-local-proxy', 'dcmx');
  ({ server, ex, worker } = bed);
});
after(() => bed?.close());

/** etcdctl on k1 against every external member, with the apiserver's client certificate. */
const etcdHealth = () => {
  const endpoints = ex.spec.spec.hosts
    .filter((h) => h.roles.includes('etcd'))
    .map((h) => `https://${h.address}:2379`)
    .join(',');
  return ex.lab.ssh(
    'k1',
    `ETCDCTL_API=3 etcdctl --endpoints ${endpoints} --cacert /etc/etcd/pki/ca.crt --cert /etc/etcd/pki/apiserver-etcd-client.crt --key /etc/etcd/pki/apiserver-etcd-client.key --command-timeout 5s endpoint health`,
  );
};

test('external etcd: a compensated master keeps its etcd member; retry completes', async () => {
  await ex.lab.fault('k3', 'command', 'kubeadm join', '--fail');
  const cluster = ex.spec.metadata.name;
  await worker.runUntil(async () => {
    const deploy = await hakube(server, ['deploy', '-f', ex.specPath, '--attempts', '2']);
    assert.equal(deploy.code, 3, `deploy should wait for the operator:\n${deploy.stdout}\n${deploy.stderr}`);
    assert.match(deploy.stdout, /WAITING for the operator in join-masters \(k3\)/);
    assert.match(deploy.stdout, /health after compensation: OK/);

    // k3's member still has its data (kubeadm's reset would have emptied the dir), and well
    // after the reset the cluster still has all three members.
    const wal = await ex.lab.ssh('k3', `ls ${ex.spec.spec.etcd.dataDir}/member/wal`);
    assert.match(wal.stdout, /\.wal$/m, `k3's etcd data dir lost its WAL: ${wal.stdout}${wal.stderr}`);
    await new Promise((r) => setTimeout(r, 5000));
    const health = await etcdHealth();
    assert.equal(health.code, 0, `${health.stdout}\n${health.stderr}`);
    const said = health.stdout + health.stderr; // etcdctl 3.4 reports health on stderr
    assert.equal((said.match(/is healthy/g) ?? []).length, 3, said);

    const k3 = await commandLog(ex.lab, 'k3');
    assert.equal(count(k3, /^kubeadm reset -f --skip-phases=remove-etcd-member/), 1, k3.join('\n'));
    assert.equal(count(await commandLog(ex.lab, 'k1'), /^kubeadm reset/), 0, 'master0 is never reset');

    await ex.lab.fault('k3', 'command', 'kubeadm join', '--clear');
    const retry = await hakube(server, ['retry', cluster]);
    assert.equal(retry.code, 0, retry.stderr);
    const result = await resultUnlessWaiting(deployHandle(server.client, cluster));
    assert.equal(result.state, 'done');
    assert.ok(result.verification?.ok, JSON.stringify(result.verification));
  });
});
