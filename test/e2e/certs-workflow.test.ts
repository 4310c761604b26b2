/**
 * The renewal action's logic on the real dev server with in-memory activities (no hosts, a few
 * seconds): control planes strictly one after another, each behind the gate; a failing master
 * stops the rollout with the rest untouched and waits for retry; a run that finds another action
 * holding the cluster does nothing and says so. The lab test (certs-lab.test.ts) runs the same
 * workflow with the real activities.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { bundleOnce, startTestServer, type TestServer } from '../helpers/temporal';
import { FakeHosts } from './deploy-fakes';
import { loadSpec } from '../../src/spec/load';
import { buildActionPlan } from '../../src/plan/actions';
import { TASK_QUEUE } from '../../src/temporal/task-queue';
import { progressQuery, retryUpdate, type Progress } from '../../src/workflows/defs';
import type { RenewCertsInput, RenewCertsResult } from '../../src/workflows/certs';
import type { CertActivities } from '../../src/activities/types';

const spec = loadSpec(path.join(__dirname, '../../examples/ha-vip.yaml'));
const ref = { action: 'renew-certs', renewBeforeSeconds: 30 * 86400, force: false } as const;
const plan = buildActionPlan(spec, ref);

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server?.stop();
});

async function run(hosts: FakeHosts, lockedBy: string[], body: (id: string) => Promise<void>): Promise<void> {
  const certs: Partial<CertActivities> = { clusterLock: async () => lockedBy };
  const worker = await server.worker({
    workflowBundle: await bundleOnce(path.join(__dirname, '../../src/workflows/index.ts')),
    activities: { ...hosts.activities(), ...certs },
    taskQueue: TASK_QUEUE,
  });
  await worker.runUntil(body(`hakube/${spec.metadata.name}/renew-certs-${Math.random().toString(36).slice(2, 8)}`));
}

const input: RenewCertsInput = { spec, renewBeforeSeconds: ref.renewBeforeSeconds, force: false, options: { retryInterval: '10ms', hostAttempts: 1 } };

async function until(handle: { query: (q: typeof progressQuery) => Promise<Progress> }, ok: (p: Progress) => boolean): Promise<Progress> {
  for (let i = 0; i < 300; i++) {
    const p = await handle.query(progressQuery).catch(() => undefined);
    if (p && ok(p)) return p;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out');
}

test('m2 fails: the rollout stops there, m3 untouched; retry renews m2 then m3, each after the gate', async () => {
  const hosts = new FakeHosts(plan);
  hosts.fail.set('renew-certs/m2', 1);
  await run(hosts, [], async (id) => {
    const handle = await server.client.workflow.start('renewCerts', { taskQueue: TASK_QUEUE, workflowId: id, args: [input] });
    const waiting = await until(handle, (p) => p.state === 'waiting');
    assert.deepEqual(waiting.waiting?.hosts, ['m2']);
    assert.deepEqual(waiting.waiting?.allowed, ['retry', 'abort'], 'a control plane cannot be skipped');
    assert.deepEqual(hosts.calls.filter((c) => c.startsWith('run ')), ['run renew-certs/m1', 'run renew-certs/m2']);
    await handle.executeUpdate(retryUpdate);
    const result = (await handle.result()) as RenewCertsResult;
    assert.equal(result.state, 'done');
    // Each master, then its gate, before the next; m2 once more after the retry.
    assert.deepEqual(hosts.calls, [
      'run renew-certs/m1', 'check-control-plane m1', 'run renew-certs/m2', 'run renew-certs/m2', 'check-control-plane m2', 'run renew-certs/m3', 'check-control-plane m3',
    ]);
    // Verify last, and admin.conf fetched for the operator (this fake returns a path).
    const done = await handle.query(progressQuery);
    assert.equal(done.kubeconfig, '/tmp/admin.conf');
    assert.deepEqual(done.phases.map((p) => `${p.name}:${p.status}`), ['renew-certs:done', 'verify:done']);
  });
});

test('another action holds the cluster: the (scheduled) run renews nothing and returns locked, naming it', async () => {
  const hosts = new FakeHosts(plan);
  await run(hosts, ['deploy (hakube/ha-vip/deploy)'], async (id) => {
    const result = (await server.client.workflow.execute('renewCerts', { taskQueue: TASK_QUEUE, workflowId: id, args: [input] })) as RenewCertsResult;
    assert.equal(result.state, 'locked');
    assert.deepEqual(result.lockedBy, ['deploy (hakube/ha-vip/deploy)']);
    assert.deepEqual(hosts.calls, []);
    const p = await server.client.workflow.getHandle(id).query(progressQuery);
    assert.match(p.error ?? '', /locked by deploy/);
  });
});
