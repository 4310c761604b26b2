/**
 * examples/ha-local-proxy.yaml (seed 000: external 3-member etcd, nginx on every node, apiservers
 * on 5443) deployed on the lab through `hakube deploy`: exit 0, a passing verification including
 * the test deployment, the kubeconfig saved 0600 and pointed at master0, and `hakube logs`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Worker } from '@temporalio/worker';
import type { TestServer } from '../helpers/temporal';
import { assertClusterServes, commandLog, count, type ExampleLab, hakube, type DeployBed, deployBed } from './deploy-support';

let server: TestServer;
let ex: ExampleLab;
let worker: Worker;
let bed: DeployBed | undefined;

before(async () => {
  bed = await deployBed('ha-local-proxy', 'dlp');
  ({ server, ex, worker } = bed);
});
after(() => bed?.close());

test('ha-local-proxy deploys to a verified cluster through the CLI', async () => {
  const cluster = ex.spec.metadata.name;
  await worker.runUntil(async () => {
    const t0 = Date.now();
    const deploy = await hakube(server, ['deploy', '-f', ex.specPath]);
    console.log(`ha-local-proxy deploy: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(deploy.code, 0, `${deploy.stdout}\n${deploy.stderr}`);
    assert.match(deploy.stdout, /verification: PASSED/);
    assert.match(deploy.stdout, /test deployment/);
    assert.match(deploy.stdout, /etcd/);
    // The checks in words, as the tools saw the cluster.
    assert.match(deploy.stdout, /^ {2}ok {3}k1: every node Ready \(5\): 5\/5 nodes Ready$/m);
    assert.match(deploy.stdout, /^ {2}ok {3}k1: etcd endpoint health and member list: etcd: 3 members, all healthy, leader k[123]$/m);
    assert.match(deploy.stdout, /: deployment hakube-verify \(\d replicas\) and service hakube-verify \(ClusterIP \S+\) created through the API, then removed$/m);
    assert.doesNotMatch(deploy.stdout, /\| [0-9a-f]{16} \| started/, 'no raw etcdctl table row as a detail');
    const kubeconfig = /kubeconfig: (\S+)/.exec(deploy.stdout)?.[1];
    assert.ok(kubeconfig && fs.existsSync(kubeconfig), deploy.stdout);
    assert.equal(fs.statSync(kubeconfig).mode & 0o777, 0o600);
    const k1 = ex.spec.spec.hosts[0];
    assert.match(fs.readFileSync(kubeconfig, 'utf8'), new RegExp(`server: https://${k1.address.replace(/\./g, '\\.')}:5443`));

    const logs = await hakube(server, ['logs', cluster, '--host', 'k1', '--step', 'kubeadm-init']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /=== init\/k1\/kubeadm-init .*\[done, 1 attempt\]/);
    assert.doesNotMatch(logs.stdout, /[a-z0-9]{6}\.[a-z0-9]{16}/, 'no bootstrap token in the step output');
    // The raw tool output behind a check is one `hakube logs` away.
    const raw = await hakube(server, ['logs', cluster, '--step', 'etcd-health']);
    assert.match(raw.stdout, /=== verify\/k1\/etcd-health [\s\S]*IS LEADER/);

    // The real control plane, as an operator's kubectl sees it through the saved kubeconfig.
    await assertClusterServes(kubeconfig, ex.spec);
  });
  const k1 = await commandLog(ex.lab, 'k1');
  assert.equal(count(k1, /^kubeadm init (?!phase)/), 1);
  for (const host of ['k2', 'k3', 'k4', 'k5']) assert.equal(count(await commandLog(ex.lab, host), /^kubeadm join /), 1, host);
});
