/**
 * A deployCluster run started straight on the task queue, not through `hakube deploy`: a spec
 * that the CLI would refuse fails the run as SpecInvalid before its first activity (the
 * activities' own gate is test/unit/admit.test.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { bundleOnce, startTestServer, type TestServer } from '../helpers/temporal';
import { FakeHosts } from './deploy-fakes';
import { loadSpec } from '../../src/spec/load';
import { buildPlan } from '../../src/plan/build';
import { TASK_QUEUE } from '../../src/temporal/task-queue';
import type { Cluster } from '../../src/spec/types';

const spec = loadSpec(path.join(__dirname, '../../examples/ha-vip.yaml'));
let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server?.stop();
});

async function failure(bad: unknown): Promise<{ type?: string | null; message: string; calls: string[] }> {
  const hosts = new FakeHosts(buildPlan(spec));
  const worker = await server.worker({ workflowBundle: await bundleOnce(path.join(__dirname, '../../src/workflows/index.ts')), activities: hosts.activities() });
  return worker.runUntil(async () => {
    const handle = await server.client.workflow.start('deployCluster', {
      taskQueue: TASK_QUEUE,
      workflowId: `hakube/raw/deploy-${Date.now()}-${Math.random()}`,
      args: [{ spec: bad }],
    });
    try {
      await handle.result();
    } catch (err) {
      assert.ok(err instanceof WorkflowFailedError, String(err));
      const cause = err.cause as ApplicationFailure;
      return { type: cause.type, message: cause.message, calls: hosts.calls };
    }
    assert.fail('the run succeeded');
  });
}

test('a bad spec started raw fails as SpecInvalid before any activity, naming the field', async () => {
  const bad = structuredClone(spec) as Cluster;
  bad.spec.etcd.dataDir = '/*';
  bad.spec.loadBalancer.interface = 'eth0\n    priority 255';
  const f = await failure(bad);
  assert.equal(f.type, 'SpecInvalid');
  assert.match(f.message, /spec\.etcd\.dataDir/);
  assert.match(f.message, /spec\.loadBalancer\.interface/);
  assert.deepEqual(f.calls, []);
});

test('keys the schema does not know, and a spec that is not an object, fail the same way', async () => {
  const f = await failure({ ...spec, spec: { ...spec.spec, ssh: { ...spec.spec.ssh, privateKeyPath: '../../etc/shadow', proxyCommand: 'id' } } });
  assert.equal(f.type, 'SpecInvalid');
  assert.match(f.message, /spec\.ssh\.privateKeyPath/);
  assert.match(f.message, /spec\.ssh\.proxyCommand/);
  assert.deepEqual(f.calls, []);
  const g = await failure('not a spec');
  assert.equal(g.type, 'SpecInvalid');
  assert.deepEqual(g.calls, []);
});
