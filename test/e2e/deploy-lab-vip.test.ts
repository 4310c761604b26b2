/**
 * examples/ha-vip.yaml (stacked etcd, keepalived + haproxy VIP) deployed on lab hosts by the real
 * activities: the second master's `kubeadm join` fails twice (injected on the host), the
 * activity retries it and the deploy completes with a passing verification (VIP drill included).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Worker } from '@temporalio/worker';
import type { TestServer } from '../helpers/temporal';
import { startDeploy } from '../../src/client/deploy';
import { progressQuery } from '../../src/workflows/defs';
import { kubeconfigPath } from '../../src/activities/kubeconfig';
import { assertClusterServes, commandLog, count, type ExampleLab, resultUnlessWaiting, type DeployBed, deployBed } from './deploy-support';

let server: TestServer;
let ex: ExampleLab;
let worker: Worker;
let bed: DeployBed | undefined;

before(async () => {
  bed = await deployBed('ha-vip', 'dvip');
  ({ server, ex, worker } = bed);
});
after(() => bed?.close());

test('ha-vip deploys to a verified cluster; a join failing twice on m2 is retried', async () => {
  await ex.lab.fault('m2', 'command', 'kubeadm join', '--fail', '--times', '2');
  const t0 = Date.now();
  const { result, progress } = await worker.runUntil(async () => {
    const handle = await startDeploy(server.client, ex.spec, { retryInterval: '1s' });
    const result = await resultUnlessWaiting(handle);
    return { result, progress: await handle.query(progressQuery) };
  });
  console.log(`ha-vip deploy: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  assert.equal(result.state, 'done', JSON.stringify(progress.waiting ?? progress.error));
  assert.ok(result.verification?.ok, JSON.stringify(result.verification));
  const names = result.verification!.checks.map((c) => c.name).join('\n');
  assert.match(names, /VIP failover/);
  assert.match(names, /etcd/);

  const m2 = progress.phases.find((p) => p.name === 'join-masters')!.hosts.find((h) => h.host === 'm2')!;
  const join = m2.steps.find((s) => s.id === 'join-masters/m2/kubeadm-join')!;
  assert.equal(join.status, 'done');
  assert.equal(join.attempts, 3, 'two injected failures, then success');

  // The hosts' own logs: kubeadm init ran once on m1, every join once on success.
  const m1 = await commandLog(ex.lab, 'm1');
  assert.equal(count(m1, /^kubeadm init (?!phase)/), 1, m1.join('\n'));
  for (const host of ['m3', 'w1', 'w2']) assert.equal(count(await commandLog(ex.lab, host), /^kubeadm join /), 1, host);
  // The token and certificate key never appear in clear in the host logs either.
  assert.doesNotMatch((await commandLog(ex.lab, 'm3')).join('\n'), /--token [a-z0-9]{6}\.[a-z0-9]{16}/);

  // The real control plane, as an operator's kubectl sees it through the saved kubeconfig.
  await assertClusterServes(kubeconfigPath(ex.spec.metadata.name), ex.spec);
});
