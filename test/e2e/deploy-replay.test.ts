/**
 * Replays recorded deploy histories (test/histories/deploy-*.json) against today's workflow
 * code: a change that would break running deploys (reordered activities, a new timer, changed
 * child ids) fails here. The recordings are a run of examples/ha-vip.yaml with in-memory
 * activities in which m3's join always fails: compensation, waiting, a `retry` update, then done.
 * Re-record deliberately (after an intended, patched change) with:
 *   HAKUBE_RECORD_HISTORIES=1 bash scripts/test.sh test/e2e/deploy-replay.test.ts
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { bundleOnce, startTestServer } from '../helpers/temporal';
import { createDataConverter } from '../../src/temporal/data-converter';
import { historyFromJSON, historyToJSON } from '../../src/temporal/history';
import { TASK_QUEUE } from '../../src/temporal/task-queue';
import { createWorker } from '../../src/worker';
import { loadSpec } from '../../src/spec/load';
import { buildPlan } from '../../src/plan/build';
import { progressQuery, retryUpdate } from '../../src/workflows/defs';
import type { DeployInput } from '../../src/workflows/deploy';
import { FakeHosts } from './deploy-fakes';

const WORKFLOWS = path.join(__dirname, '../../src/workflows/index.ts');
const HISTORIES = path.join(__dirname, '../histories');
// A fixed, test-only key: the recordings hold encrypted join credentials that replay must decode.
const env = { HAKUBE_CODEC_KEY: Buffer.alloc(32, 11).toString('base64') };
const RECORDINGS = {
  'deploy-compensate-retry.json': 'hakube/ha-vip/deploy',
  'deploy-join-master-failed.json': 'hakube/ha-vip/deploy/join-master/m3/1',
  'deploy-join-master-retried.json': 'hakube/ha-vip/deploy/join-master/m3/2',
};

async function record(): Promise<void> {
  const server = await startTestServer();
  try {
    const spec = loadSpec(path.join(__dirname, '../../examples/ha-vip.yaml'));
    const hosts = new FakeHosts(buildPlan(spec));
    hosts.fail.set('join-masters/m3', Infinity);
    const client = new Client({ connection: server.client.connection, namespace: server.namespace, dataConverter: createDataConverter(env) });
    const worker = await createWorker({
      connection: server.testEnv.nativeConnection,
      namespace: server.namespace,
      env,
      workflowBundle: await bundleOnce(WORKFLOWS),
      activities: hosts.activities(),
    });
    await worker.runUntil(async () => {
      const input: DeployInput = { spec, options: { hostAttempts: 2, retryInterval: '50ms' } };
      const handle = await client.workflow.start('deployCluster', { taskQueue: TASK_QUEUE, workflowId: RECORDINGS['deploy-compensate-retry.json'], args: [input] });
      while ((await handle.query(progressQuery)).state !== 'waiting') await new Promise((r) => setTimeout(r, 100));
      hosts.fail.delete('join-masters/m3');
      await handle.executeUpdate(retryUpdate);
      const result = await handle.result();
      assert.equal(result.state, 'done');
    });
    for (const [file, id] of Object.entries(RECORDINGS)) {
      fs.writeFileSync(path.join(HISTORIES, file), historyToJSON(await client.workflow.getHandle(id).fetchHistory()));
    }
  } finally {
    await server.stop();
  }
}

before(async () => {
  if (process.env.HAKUBE_RECORD_HISTORIES === '1') await record();
});

test('recorded deploy histories (compensation, waiting, retry update, children) replay against the current code, after a key rotation', async () => {
  // The codec key the recordings were written with is now an old key of the ring: it must still decode them.
  const rotated = { HAKUBE_CODEC_KEY: `${env.HAKUBE_CODEC_KEY},${randomBytes(32).toString('base64')}` };
  const bundle = await bundleOnce(WORKFLOWS);
  for (const [file, id] of Object.entries(RECORDINGS)) {
    const history = historyFromJSON(fs.readFileSync(path.join(HISTORIES, file), 'utf8'));
    assert.ok((history.events?.length ?? 0) > 10, `${file} holds a whole run`);
    await Worker.runReplayHistory({ workflowBundle: bundle, dataConverter: createDataConverter(rotated) }, history, id);
  }
  // The parent recording really went through the operator path.
  const parent = fs.readFileSync(path.join(HISTORIES, 'deploy-compensate-retry.json'), 'utf8');
  assert.match(parent, /"retry"/);
});
