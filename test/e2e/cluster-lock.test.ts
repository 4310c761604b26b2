/**
 * The cluster lock on a real Temporal server: two actions started at the same moment get
 * exactly one lock between them (the server's conflict policy decides, not visibility), the
 * refusal names the action holding it, the lock ends by itself once its holder closes, and a
 * lock whose holder never started is taken over after the grace.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Worker } from '@temporalio/worker';
import { bundleOnce, startTestServer, type TestServer } from '../helpers/temporal';
import { acquireLock, actionWorkflowId, lockWorkflowId } from '../../src/client/lock';
import { awaitActionEnd } from '../../src/activities/lock';

let server: TestServer;
let worker: Worker;
let running: Promise<void>;

before(async () => {
  server = await startTestServer();
  worker = await server.worker({ workflowBundle: await bundleOnce(path.join(__dirname, '../../src/workflows/index.ts')), activities: { awaitActionEnd } });
  running = worker.run();
});
after(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await server?.stop();
});

/** A holder run that stays running: no worker serves its task queue. */
const startHolder = (workflowId: string) => server.client.workflow.start('heldAction', { taskQueue: 'hakube-lock-test-idle', workflowId });

async function lockStatus(cluster: string): Promise<string> {
  return (await server.client.workflow.getHandle(lockWorkflowId(cluster)).describe()).status.name;
}

test('two actions started at once: exactly one takes the lock, the other is refused naming it', async () => {
  for (let round = 0; round < 5; round++) {
    const cluster = `lock${round}`;
    const results = await Promise.allSettled([
      acquireLock(server.client, cluster, 'apply', actionWorkflowId(cluster, 'apply')),
      acquireLock(server.client, cluster, 'reset', actionWorkflowId(cluster, 'reset')),
    ]);
    const won = results.map((r) => r.status === 'fulfilled');
    assert.equal(won.filter(Boolean).length, 1, `round ${round}: ${results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'ok')).join(' | ')}`);
    const winner = won[0] ? 'apply' : 'reset';
    const loser = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as Error & { exitCode?: number };
    assert.match(loser.message, new RegExp(`^cannot ${won[0] ? 'reset' : 'apply'} ${cluster}: the cluster is locked by its running ${winner} that is starting \\(hakube/${cluster}/${winner} since `));
    // The winner's run starts: a third action is refused naming it as running.
    await startHolder(actionWorkflowId(cluster, winner));
    await assert.rejects(acquireLock(server.client, cluster, 'deploy', actionWorkflowId(cluster, 'deploy')), new RegExp(`locked by its running ${winner} \\(hakube/${cluster}/${winner} since `));
  }
});

test('the lock ends once its holder closes; a holder that never started loses it after the grace', async () => {
  const cluster = 'lockend';
  const holder = actionWorkflowId(cluster, 'apply');
  await acquireLock(server.client, cluster, 'apply', holder);
  const h = await startHolder(holder);
  // Held while its holder runs (past the activity's first looks at it).
  await new Promise((res) => setTimeout(res, 6000));
  assert.equal(await lockStatus(cluster), 'RUNNING');
  await h.terminate('done');
  let status = 'RUNNING';
  for (let i = 0; i < 40 && status === 'RUNNING'; i++) {
    await new Promise((res) => setTimeout(res, 500));
    status = await lockStatus(cluster);
  }
  assert.equal(status, 'COMPLETED', 'the lock let go by itself');
  await acquireLock(server.client, cluster, 'reset', actionWorkflowId(cluster, 'reset'));
  // Its client died before starting the reset: with no grace left, the next action takes over.
  await acquireLock(server.client, cluster, 'deploy', actionWorkflowId(cluster, 'deploy'), 0);
  const memo = (await server.client.workflow.getHandle(lockWorkflowId(cluster)).describe()).memo as { action: string };
  assert.equal(memo.action, 'deploy');
});
