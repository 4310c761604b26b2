/**
 * The deploy workflow's logic on the real dev server, with in-memory activities that fail on
 * command: retries, compensation of a failed master join (never master0), waiting for the
 * operator, the retry / skip / abort updates and their validators, and secrets kept encrypted.
 * The lab e2e tests (deploy-lab-*.test.ts) run the same workflow with the real activities.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { Client, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { bundleOnce, startTestServer, type TestServer } from '../helpers/temporal';
import { CERT_KEY, FakeHosts, TOKEN } from './deploy-fakes';
import { loadSpec } from '../../src/spec/load';
import { buildPlan } from '../../src/plan/build';
import { historyBytes } from '../../src/temporal/history';
import { TASK_QUEUE } from '../../src/temporal/task-queue';
import type { Worker } from '@temporalio/worker';
import type { Cluster } from '../../src/spec/types';
import { abortUpdate, progressQuery, retryUpdate, skipUpdate, type Progress } from '../../src/workflows/defs';
import type { DeployInput } from '../../src/workflows/deploy';
import { startReset } from '../../src/client/reset';

const spec = loadSpec(path.join(__dirname, '../../examples/ha-vip.yaml'));
const plan = buildPlan(spec);

let server: TestServer;
let raw: Client;

before(async () => {
  server = await startTestServer();
  raw = new Client({ connection: server.client.connection, namespace: server.namespace });
});
after(async () => {
  await server?.stop();
});

async function withWorker<T>(hosts: FakeHosts, fn: () => Promise<T>): Promise<T> {
  const worker: Worker = await server.worker({
    workflowBundle: await bundleOnce(path.join(__dirname, '../../src/workflows/index.ts')),
    activities: hosts.activities(),
  });
  return worker.runUntil(fn);
}

let seq = 0;
async function start(s: Cluster = spec): Promise<WorkflowHandle> {
  const input: DeployInput = { spec: s, options: { hostAttempts: 2, retryInterval: '50ms' } };
  return server.client.workflow.start('deployCluster', {
    taskQueue: TASK_QUEUE,
    workflowId: `hakube/${s.metadata.name}/deploy-test-${++seq}-${Date.now()}`,
    args: [input],
  });
}

async function until(handle: WorkflowHandle, pred: (p: Progress) => boolean, what: string): Promise<Progress> {
  for (let i = 0; i < 300; i++) {
    const p = await handle.query(progressQuery);
    if (pred(p)) return p;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof WorkflowUpdateFailedError, `expected an update refusal, got ${String(err)}`);
    return (err.cause as Error).message;
  }
  assert.fail('the update was accepted');
}

describe('deployCluster with test activities', () => {
  test('walks every phase in order, masters one at a time, and keeps join secrets encrypted', async () => {
    const hosts = new FakeHosts(plan);
    hosts.fail.set('join-masters/m2', 1); // fails once, the activity retry fixes it
    const handle = await start();
    // Queries (even of a finished run) are answered by a worker.
    const [result, p] = await withWorker(hosts, async () => [await handle.result(), await handle.query(progressQuery)] as const);
    assert.equal(result.state, 'done');
    assert.equal(result.kubeconfig, '/tmp/admin.conf');
    const runs = hosts.calls.filter((c) => c.startsWith('run '));
    const phaseOrder = [...new Set(runs.map((c) => c.split(' ')[1].split('/')[0]))];
    const planned = plan.phases.filter((p) => !p.skipped && p.hosts.length > 0 && p.name !== 'verify').map((p) => p.name);
    assert.deepEqual(phaseOrder, planned);
    const masters = runs.filter((c) => c.startsWith('run join-masters/')).map((c) => c.split('/')[1]);
    assert.deepEqual(masters, ['m2', 'm2', 'm3']);
    // Join credentials reached the join activity unwrapped, and only encrypted in history.
    assert.equal(hosts.runtimes['join-masters/m3'].joinToken, TOKEN);
    assert.equal(hosts.runtimes['join-masters/m3'].certificateKey, CERT_KEY);
    // Least privilege: a worker join gets the token and CA hash, never the certificate key.
    assert.equal(hosts.runtimes['join-workers/w1'].joinToken, TOKEN);
    assert.equal(hosts.runtimes['join-workers/w1'].certificateKey, undefined);
    // The health gate ran after each master, before the next one started.
    const order = hosts.calls.filter((c) => /^run join-masters\/|^check-control-plane/.test(c));
    assert.deepEqual(order, ['run join-masters/m2', 'run join-masters/m2', 'check-control-plane m2', 'run join-masters/m3', 'check-control-plane m3']);
    // Certs uploaded once (fresh for the second master), token created once.
    assert.deepEqual(hosts.calls.filter((c) => c.startsWith('creds')), ['creds token=true certs=true', 'creds token=false certs=false']);
    assert.equal(p.state, 'done');
    assert.ok(p.phases.every((ph) => ph.status === 'done' || ph.status === 'skipped'));
    const m2 = p.phases.find((ph) => ph.name === 'join-masters')!.hosts.find((h) => h.host === 'm2')!;
    assert.equal(m2.status, 'done');
    for (const childId of [`${handle.workflowId}/join-master/m2/1`, `${handle.workflowId}/join-master/m3/1`]) {
      const bytes = historyBytes(await raw.workflow.getHandle(childId).fetchHistory());
      assert.ok(!bytes.includes(TOKEN) && !bytes.includes(CERT_KEY), `${childId} history holds a secret in plain text`);
      assert.ok(bytes.includes('kubeadm join'), 'activity summaries read as runbook lines');
    }
    const parent = historyBytes(await raw.workflow.getHandle(handle.workflowId).fetchHistory());
    assert.ok(!parent.includes(TOKEN) && !parent.includes(CERT_KEY));
  });

  test('a master join that keeps failing is compensated on that node, then waits; retry completes it', async () => {
    const hosts = new FakeHosts(plan);
    hosts.fail.set('join-masters/m3', Infinity);
    const handle = await start();
    await withWorker(hosts, async () => {
      const p = await until(handle, (x) => x.state === 'waiting', 'waiting');
      assert.equal(p.waiting?.phase, 'join-masters');
      assert.deepEqual(p.waiting?.hosts, ['m3']);
      assert.deepEqual(p.waiting?.allowed, ['retry', 'abort']);
      assert.equal(p.waiting?.health?.ok, true);
      assert.match(p.waiting!.error, /injected/);
      const m3 = p.phases.find((ph) => ph.name === 'join-masters')!.hosts.find((h) => h.host === 'm3')!;
      assert.equal(m3.status, 'compensated');
      assert.equal(m3.steps[m3.steps.length - 1].status, 'failed');
      assert.ok(hosts.calls.includes('compensate-master m3'));
      assert.ok(!hosts.calls.some((c) => c === 'compensate-master m1'), 'master0 is never compensated');
      assert.ok(hosts.calls.indexOf('check-control-plane') > hosts.calls.indexOf('compensate-master m3'));
      assert.ok(!hosts.calls.some((c) => c.startsWith('run join-workers/')), 'workers wait for the masters');
      // Validators refuse what does not fit, with a reason.
      assert.match(await refusal(handle.executeUpdate(skipUpdate, { args: ['m3'] })), /only failed workers can be skipped/);
      hosts.fail.delete('join-masters/m3');
      assert.match(await handle.executeUpdate(retryUpdate), /retrying join-masters on m3/);
      const result = await handle.result();
      assert.equal(result.state, 'done');
      // After the run the updates have nothing to act on.
      await assert.rejects(handle.executeUpdate(retryUpdate));
    });
    assert.equal(hosts.calls.filter((c) => c === 'run join-masters/m3').length, 3);
  });

  test('a failing worker can be skipped (a master cannot) and the deploy completes without it', async () => {
    const hosts = new FakeHosts(plan);
    hosts.fail.set('join-workers/w2', Infinity);
    const handle = await start();
    await withWorker(hosts, async () => {
      const p = await until(handle, (x) => x.state === 'waiting', 'waiting');
      assert.deepEqual(p.waiting?.allowed, ['retry', 'skip', 'abort']);
      assert.deepEqual(p.waiting?.hosts, ['w2']);
      assert.ok(hosts.calls.includes('compensate-worker w2'));
      assert.match(await refusal(handle.executeUpdate(skipUpdate, { args: ['m2'] })), /m2 is not a failed worker/);
      assert.match(await handle.executeUpdate(skipUpdate, { args: ['w2'] }), /skipped w2/);
      const result = await handle.result();
      assert.equal(result.state, 'done');
      assert.deepEqual(result.skipped, ['w2']);
    });
  });

  // The SDK's time-skipping test server is a separate download (not available here): the ages
  // are scaled down instead, on the real dev server and real workflow time.
  test('join credentials are refreshed by age: the certificate key after its max age, the token after its own', async () => {
    const hosts = new FakeHosts(plan);
    hosts.fail.set('join-masters/m3', Infinity);
    const input: DeployInput = { spec, options: { hostAttempts: 2, retryInterval: '50ms', credentialMaxAgeMs: { certKeyMs: 1500, tokenMs: 4000 } } };
    const handle = await server.client.workflow.start('deployCluster', { taskQueue: TASK_QUEUE, workflowId: `hakube/ha-vip/deploy-ages-${Date.now()}`, args: [input] });
    await withWorker(hosts, async () => {
      await until(handle, (x) => x.state === 'waiting', 'm3 waiting');
      const before = hosts.calls.filter((c) => c.startsWith('creds'));
      assert.deepEqual(before, ['creds token=true certs=true', 'creds token=false certs=false']);
      await new Promise((r) => setTimeout(r, 2000)); // the certificate key is now too old, the token not
      hosts.fail.delete('join-masters/m3');
      hosts.fail.set('join-workers/w2', Infinity);
      await handle.executeUpdate(retryUpdate);
      await until(handle, (x) => x.state === 'waiting' && x.waiting?.phase === 'join-workers', 'w2 waiting');
      // m3's retry got a fresh key; the workers' first round reused the young token (no call).
      assert.deepEqual(hosts.calls.filter((c) => c.startsWith('creds')).slice(before.length), ['creds token=false certs=true']);
      await new Promise((r) => setTimeout(r, 4200)); // now the token is too old as well
      hosts.fail.delete('join-workers/w2');
      await handle.executeUpdate(retryUpdate);
      assert.equal((await handle.result()).state, 'done');
      assert.deepEqual(hosts.calls.filter((c) => c.startsWith('creds')).slice(before.length), ['creds token=false certs=true', 'creds token=true certs=false']);
    });
  });

  test('the cluster lock: a reset is refused while the deploy runs, naming it', async () => {
    const hosts = new FakeHosts(plan);
    hosts.fail.set('join-masters/m3', Infinity);
    const handle = await start();
    await withWorker(hosts, async () => {
      await until(handle, (x) => x.state === 'waiting', 'waiting');
      await assert.rejects(startReset(server.client, spec, false), (err: Error) => {
        assert.match(err.message, new RegExp(`cannot reset ha-vip: the cluster is locked by its running deploy \\(${handle.workflowId.replace(/[/.]/g, '\\$&')} since `));
        return true;
      });
      await handle.executeUpdate(abortUpdate);
      await handle.result();
    });
  });

  test('an abort asked while a step runs: retry and skip are refused with the reason, the run then aborts', async () => {
    const hosts = new FakeHosts(plan);
    let release!: () => void;
    hosts.holdUntil.set('init/m1', new Promise<void>((r) => (release = r)));
    const handle = await start();
    await withWorker(hosts, async () => {
      await until(handle, () => hosts.calls.includes('run init/m1'), 'init running on m1');
      assert.match(await handle.executeUpdate(abortUpdate), /after the current step/);
      assert.match(await refusal(handle.executeUpdate(retryUpdate)), /cannot retry .*: an abort is pending/);
      assert.match(await refusal(handle.executeUpdate(skipUpdate, { args: ['w1'] })), /cannot skip .*: an abort is pending/);
      release();
      assert.equal((await handle.result()).state, 'aborted');
    });
    assert.ok(!hosts.calls.some((c) => c.startsWith('run join-masters')), 'no later phase started');
  });

  test('abort while waiting resets the joined nodes newest first, never master0', async () => {
    const hosts = new FakeHosts(plan);
    hosts.fail.set('join-masters/m3', Infinity);
    const handle = await start();
    await withWorker(hosts, async () => {
      await until(handle, (x) => x.state === 'waiting', 'waiting');
      assert.match(await handle.executeUpdate(abortUpdate), /aborting/);
      const result = await handle.result();
      assert.equal(result.state, 'aborted');
      await assert.rejects(handle.executeUpdate(abortUpdate));
    });
    const afterWait = hosts.calls.slice(hosts.calls.indexOf('check-control-plane') + 1);
    assert.deepEqual(afterWait.filter((c) => c.startsWith('compensate')), ['compensate-master m3', 'compensate-master m2']);
    assert.ok(!hosts.calls.includes('compensate-master m1'));
  });

  test('abort of a run over a built cluster undoes only what this run joined', async () => {
    const hosts = new FakeHosts(plan);
    hosts.already.add('join-masters/m2'); // joined by an earlier run: its checks say done
    hosts.fail.set('join-masters/m3', Infinity);
    const handle = await start();
    await withWorker(hosts, async () => {
      await until(handle, (x) => x.state === 'waiting', 'waiting');
      await handle.executeUpdate(abortUpdate);
      assert.equal((await handle.result()).state, 'aborted');
    });
    const afterWait = hosts.calls.slice(hosts.calls.lastIndexOf('check-control-plane') + 1);
    assert.deepEqual(afterWait.filter((c) => c.startsWith('compensate')), ['compensate-master m3']);
  });
});
