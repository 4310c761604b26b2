/**
 * A worker takes back what a killed predecessor on the same machine was running: the started
 * attempt of a worker whose pid is gone is failed at once (type WorkerLost) and runs again,
 * instead of waiting out the 60 s heartbeat timeout; a live worker's attempt is left alone.
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { bundleOnce, startTestServer, type TestServer } from '../helpers/temporal';
import * as activities from '../fixtures/activities';
import { reclaimDeadWorkersActivities, workerIdentity } from '../../src/temporal/reclaim';
import { TASK_QUEUE } from '../../src/temporal/task-queue';

const WORKFLOWS = path.join(__dirname, '../fixtures/workflows.ts');
const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server?.stop();
});

/** A pid that surely ran on this machine and has ended. */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(r.stdout.toString().trim());
}

async function runWith(identity: string): Promise<{ worker: Worker; running: Promise<void> }> {
  const worker = await server.worker({ workflowBundle: await bundleOnce(WORKFLOWS), activities, extra: { identity, shutdownGraceTime: '1s' } });
  return { worker, running: worker.run() };
}

async function waitStarted(id: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const { raw } = await server.client.workflow.getHandle(id).describe();
    if (raw.pendingActivities?.some((a) => a.state === STARTED)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${id}: the activity never started`);
}

test('the attempt of a dead worker on this machine is failed as WorkerLost and runs again; a live one is left', async () => {
  const live = await runWith(workerIdentity(process.pid));
  const liveRun = await server.client.workflow.start('stepAfterLostWorker', { taskQueue: TASK_QUEUE, workflowId: 'reclaim-live' });
  await waitStarted('reclaim-live');
  assert.deepEqual(await reclaimDeadWorkersActivities(server.client, { taskQueue: TASK_QUEUE }), [], 'a live worker keeps its attempt');
  await liveRun.terminate('test done');
  live.worker.shutdown();
  await live.running;

  const dead = `${deadPid()}@${os.hostname()}`;
  const ghost = await runWith(dead);
  try {
    const handle = await server.client.workflow.start('stepAfterLostWorker', { taskQueue: TASK_QUEUE, workflowId: 'reclaim-dead' });
    await waitStarted('reclaim-dead');
    const taken = await reclaimDeadWorkersActivities(server.client, { taskQueue: TASK_QUEUE });
    assert.deepEqual(
      taken.map((t) => [t.workflowId, t.activityType, t.deadWorker]),
      [['reclaim-dead', 'firstAttemptHangs', dead]],
    );
    assert.equal(await handle.result(), 2, 'the second attempt ran and returned');
    const history = await handle.fetchHistory();
    // Retried attempts leave no failure event: the next attempt's start carries the last failure.
    const started = history.events?.find((e) => e.activityTaskStartedEventAttributes)?.activityTaskStartedEventAttributes;
    assert.equal(started?.attempt, 2);
    assert.equal(started?.lastFailure?.applicationFailureInfo?.type, 'WorkerLost');
    const timedOut = history.events?.some((e) => e.activityTaskTimedOutEventAttributes);
    assert.ok(!timedOut, 'the attempt was taken back, not timed out');
    // Another machine's dead-looking identity is not this machine's to judge.
    assert.deepEqual(await reclaimDeadWorkersActivities(server.client, { taskQueue: TASK_QUEUE, host: 'elsewhere' }), []);
  } finally {
    ghost.worker.shutdown();
    await ghost.running;
  }
});
