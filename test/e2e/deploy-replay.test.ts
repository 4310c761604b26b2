/**
 * Replays recorded deploy histories (test/histories/deploy-*.json) against today's workflow
 * code: a change that would break running deploys (reordered activities, a new timer, changed
 * child ids) fails here. The recordings are a run of examples/ha-vip.yaml with in-memory
 * activities in which m3's join always fails: compensation, waiting, a `retry` update, then done.
 * Record deliberately, one file (HAKUBE_RECORD_HISTORIES=deploy-abort.json) or all (=1), and
 * only after an intended, patched change: the old recordings are what proves old runs replay.
 *   HAKUBE_RECORD_HISTORIES=1 bash scripts/test.sh test/e2e/deploy-replay.test.ts
 * deploy-skip-worker.json and deploy-abort.json are the skip and abort operator paths.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { bundleOnce, startTestServer } from '../helpers/temporal';
import { createDataConverter } from '../../src/temporal/data-converter';
import { historyFromJSON, historyToJSON } from '../../src/temporal/history';
import { TASK_QUEUE } from '../../src/temporal/task-queue';
import { createWorker } from '../../src/worker';
import { loadSpec } from '../../src/spec/load';
import { buildPlan } from '../../src/plan/build';
import { buildApplyPlan } from '../../src/plan/actions';
import type { Plan } from '../../src/plan/types';
import type { Cluster } from '../../src/spec/types';
import type { ApplyInput } from '../../src/workflows/apply';
import { abortUpdate, progressQuery, retryUpdate, skipUpdate } from '../../src/workflows/defs';
import type { DeployInput } from '../../src/workflows/deploy';
import { FakeHosts } from './deploy-fakes';

const WORKFLOWS = path.join(__dirname, '../../src/workflows/index.ts');
const HISTORIES = path.join(__dirname, '../histories');
// A fixed, test-only key: the recordings hold encrypted join credentials that replay must decode.
const env = { HAKUBE_CODEC_KEY: Buffer.alloc(32, 11).toString('base64') };
const RECORDINGS: Record<string, string> = {
  'deploy-compensate-retry.json': 'hakube/ha-vip/deploy',
  'deploy-join-master-failed.json': 'hakube/ha-vip/deploy/join-master/m3/1',
  'deploy-join-master-retried.json': 'hakube/ha-vip/deploy/join-master/m3/2',
  // Recorded with the generic runner (health gate patched in): the other two operator paths.
  'deploy-skip-worker.json': 'hakube/ha-vip/deploy-skip',
  'deploy-abort.json': 'hakube/ha-vip/deploy-abort',
  // The failure paths of the fault matrix: a cancel runs the reverse cleanup; credentials wait.
  'deploy-cancel.json': 'hakube/ha-vip/deploy-cancel',
  'deploy-credentials-wait.json': 'hakube/ha-vip/deploy-credentials-wait',
  // apply removing a master and a worker; the health gate before m3's member fails once, then retry.
  'apply-remove-retry.json': 'hakube/ha-vip/apply-remove',
  // join-workers in host groups of one (hostsPerGroup 1): w1's group, recorded while a group
  // started a join child per host, and again since it joins its hosts inline.
  'deploy-group-children.json': 'hakube/ha-vip/deploy-grouped/join-workers/group-w1/1',
  'deploy-group-inline.json': 'hakube/ha-vip/deploy-grouped-inline/join-workers/group-w1/1',
  // A plain run since its result carries the final progress.
  'deploy-final-progress.json': 'hakube/ha-vip/deploy-final-progress',
};

type Scenario = (client: Client, hosts: FakeHosts, input: DeployInput) => Promise<void>;

const waiting = async (handle: WorkflowHandle) => {
  while ((await handle.query(progressQuery)).state !== 'waiting') await new Promise((r) => setTimeout(r, 100));
};

/** Each scenario records the files named in its list; existing recordings are never overwritten unless asked. */
/** examples/ha-vip.yaml without m3 and w2: apply's removal path. */
const smaller = (spec: Cluster): Cluster => ({ ...spec, spec: { ...spec.spec, hosts: spec.spec.hosts.filter((h) => h.name !== 'm3' && h.name !== 'w2') } });

const SCENARIOS: Array<{ files: string[]; fail: string; run: Scenario; plan?: (spec: Cluster) => Plan }> = [
  {
    files: ['deploy-compensate-retry.json', 'deploy-join-master-failed.json', 'deploy-join-master-retried.json'],
    fail: 'join-masters/m3',
    run: async (client, hosts, input) => {
      const handle = await client.workflow.start('deployCluster', { taskQueue: TASK_QUEUE, workflowId: RECORDINGS['deploy-compensate-retry.json'], args: [input] });
      await waiting(handle);
      hosts.fail.delete('join-masters/m3');
      await handle.executeUpdate(retryUpdate);
      assert.equal((await handle.result()).state, 'done');
    },
  },
  {
    files: ['deploy-skip-worker.json'],
    fail: 'join-workers/w2',
    run: async (client, _hosts, input) => {
      const handle = await client.workflow.start('deployCluster', { taskQueue: TASK_QUEUE, workflowId: RECORDINGS['deploy-skip-worker.json'], args: [input] });
      await waiting(handle);
      await handle.executeUpdate(skipUpdate, { args: ['w2'] });
      assert.deepEqual((await handle.result()).skipped, ['w2']);
    },
  },
  {
    files: ['deploy-abort.json'],
    fail: 'join-masters/m3',
    run: async (client, _hosts, input) => {
      const handle = await client.workflow.start('deployCluster', { taskQueue: TASK_QUEUE, workflowId: RECORDINGS['deploy-abort.json'], args: [input] });
      await waiting(handle);
      await handle.executeUpdate(abortUpdate);
      assert.equal((await handle.result()).state, 'aborted');
    },
  },
  {
    files: ['deploy-cancel.json'],
    fail: 'join-masters/m3',
    run: async (client, hosts, input) => {
      const handle = await client.workflow.start('deployCluster', { taskQueue: TASK_QUEUE, workflowId: RECORDINGS['deploy-cancel.json'], args: [input] });
      await waiting(handle);
      // A pending abort refuses retry; a cancel (the Web UI's button) still undoes the run.
      const seen = hosts.calls.length;
      await handle.cancel();
      await assert.rejects(handle.result(), (err: Error) => err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure);
      const after = hosts.calls.slice(seen);
      assert.deepEqual(after.filter((c) => c.startsWith('compensate')), ['compensate-master m3', 'compensate-master m2', 'compensate-worker w2', 'compensate-worker w1'].filter((c) => after.includes(c)));
      assert.ok(after.includes('compensate-master m2'), `reverse cleanup after the cancel: ${after.join(', ')}`);
      assert.ok(after.includes('delete-run-tokens'), 'the run\'s tokens are deleted on cancel');
      assert.ok(!after.some((c) => c.includes(' m1')), 'master0 is never undone');
    },
  },
  {
    files: ['deploy-credentials-wait.json'],
    fail: '',
    run: async (client, hosts, input) => {
      hosts.failCreds = 2;
      const handle = await client.workflow.start('deployCluster', { taskQueue: TASK_QUEUE, workflowId: RECORDINGS['deploy-credentials-wait.json'], args: [input] });
      await waiting(handle);
      const p = await handle.query(progressQuery);
      assert.match(p.waiting?.error ?? '', /join credentials from master0: .*connection refused/);
      assert.equal(p.waiting?.phase, 'join-masters');
      await handle.executeUpdate(retryUpdate);
      assert.equal((await handle.result()).state, 'done');
      assert.ok(hosts.calls.includes('delete-run-tokens'));
    },
  },
  {
    files: ['apply-remove-retry.json'],
    fail: 'remove-members/m1',
    plan: (spec) => buildApplyPlan(spec, smaller(spec)),
    run: async (client, hosts, input) => {
      const args: ApplyInput[] = [{ spec: smaller(input.spec), previous: input.spec, options: input.options }];
      const handle = await client.workflow.start('applyCluster', { taskQueue: TASK_QUEUE, workflowId: RECORDINGS['apply-remove-retry.json'], args });
      await waiting(handle);
      hosts.fail.delete('remove-members/m1');
      await handle.executeUpdate(retryUpdate);
      assert.equal((await handle.result()).state, 'done');
      for (const phase of ['drain/m1', 'remove-backends/m1', 'remove-members/m1', 'remove-hosts/m3', 'remove-hosts/w2', 'forget-nodes/m1']) {
        assert.ok(hosts.calls.includes(`run ${phase}`), `${phase} ran: ${hosts.calls.join(', ')}`);
      }
    },
  },
];

const grouped = (file: string): Scenario => async (client, _hosts, input) => {
  const workflowId = RECORDINGS[file].replace(/\/join-workers\/.*$/, '');
  const handle = await client.workflow.start('deployCluster', { taskQueue: TASK_QUEUE, workflowId, args: [{ ...input, options: { ...input.options, hostsPerGroup: 1 } }] });
  assert.equal((await handle.result()).state, 'done');
};
SCENARIOS.push({ files: ['deploy-group-children.json'], fail: '', run: grouped('deploy-group-children.json') });
SCENARIOS.push({ files: ['deploy-group-inline.json'], fail: '', run: grouped('deploy-group-inline.json') });
SCENARIOS.push({
  files: ['deploy-final-progress.json'],
  fail: '',
  run: async (client, _hosts, input) => {
    const handle = await client.workflow.start('deployCluster', { taskQueue: TASK_QUEUE, workflowId: RECORDINGS['deploy-final-progress.json'], args: [input] });
    const r = await handle.result();
    assert.equal(r.progress?.state, 'done');
  },
});

async function record(): Promise<void> {
  const asked = process.env.HAKUBE_RECORD_HISTORIES ?? '';
  const todo = SCENARIOS.filter((s) => asked === '1' || s.files.some((f) => asked.split(',').includes(f)));
  if (todo.length === 0) return;
  const server = await startTestServer();
  try {
    const spec = loadSpec(path.join(__dirname, '../../examples/ha-vip.yaml'));
    const client = new Client({ connection: server.client.connection, namespace: server.namespace, dataConverter: createDataConverter(env) });
    for (const scenario of todo) {
      const hosts = new FakeHosts(scenario.plan?.(spec) ?? buildPlan(spec));
      if (scenario.fail) hosts.fail.set(scenario.fail, Infinity);
      const worker = await createWorker({
        connection: server.testEnv.nativeConnection,
        namespace: server.namespace,
        env,
        workflowBundle: await bundleOnce(WORKFLOWS),
        activities: hosts.activities(),
      });
      await worker.runUntil(() => scenario.run(client, hosts, { spec, options: { hostAttempts: 2, retryInterval: '50ms' } }));
      for (const file of scenario.files) {
        fs.writeFileSync(path.join(HISTORIES, file), historyToJSON(await client.workflow.getHandle(RECORDINGS[file]).fetchHistory()));
      }
    }
  } finally {
    await server.stop();
  }
}

before(async () => {
  await record();
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
  assert.match(fs.readFileSync(path.join(HISTORIES, 'deploy-skip-worker.json'), 'utf8'), /"skip"/);
  assert.match(fs.readFileSync(path.join(HISTORIES, 'deploy-abort.json'), 'utf8'), /"abort"/);
  assert.match(fs.readFileSync(path.join(HISTORIES, 'deploy-cancel.json'), 'utf8'), /WORKFLOW_EXECUTION_CANCEL_REQUESTED|workflowExecutionCancelRequested/);
  assert.match(fs.readFileSync(path.join(HISTORIES, 'deploy-credentials-wait.json'), 'utf8'), /"retry"/);
  assert.match(fs.readFileSync(path.join(HISTORIES, 'apply-remove-retry.json'), 'utf8'), /"retry"/);
  // The two group recordings differ where the change is: a join child per host, or none.
  assert.match(fs.readFileSync(path.join(HISTORIES, 'deploy-group-children.json'), 'utf8'), /START_CHILD_WORKFLOW_EXECUTION_INITIATED/);
  const inline = fs.readFileSync(path.join(HISTORIES, 'deploy-group-inline.json'), 'utf8');
  assert.doesNotMatch(inline, /START_CHILD_WORKFLOW_EXECUTION_INITIATED/);
  assert.match(inline, /"markerName": "core_patch"/);
  // The newest recording took the final-progress branch, so replay ran through it.
  const final = historyFromJSON(fs.readFileSync(path.join(HISTORIES, 'deploy-final-progress.json'), 'utf8'));
  const patches = (final.events ?? []).flatMap((e) => Object.values(e.markerRecordedEventAttributes?.details ?? {}).flatMap((d) => (d.payloads ?? []).map((p) => Buffer.from(p.data ?? []).toString())));
  assert.ok(patches.some((p) => p.includes('"hakube-final-progress"')), patches.join(' '));
});
