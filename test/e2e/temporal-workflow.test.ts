/**
 * A real run on the real dev server binary: a workflow passes a secret through an activity
 * with the codec on. The history fetched from the server must hold the secret only encrypted,
 * while the workflow's plain result and search attributes stay readable.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { Client } from '@temporalio/client';
import { bundleOnce, startTestServer, type TestServer } from '../helpers/temporal';
import * as activities from '../fixtures/activities';
import { secretHandoff } from '../fixtures/workflows';
import { historyBytes } from '../../src/temporal/history';
import { SEALED_METADATA } from '../../src/temporal/codec';
import { secret } from '../../src/temporal/secret';
import { HAKUBE_CLUSTER } from '../../src/temporal/search-attributes';
import { TASK_QUEUE } from '../../src/temporal/task-queue';

const TOKEN = 'abcdef.0123456789abcdef';
let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server?.stop();
});

test('a secret passes through a workflow and is stored only encrypted', async () => {
  const worker = await server.worker({
    workflowBundle: await bundleOnce(path.join(__dirname, '../fixtures/workflows.ts')),
    activities,
  });
  const workflowId = `handoff-${Date.now()}`;
  const result = await worker.runUntil(async () => {
    const handle = await server.client.workflow.start(secretHandoff, {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [{ cluster: 'lab1', token: secret(TOKEN) }],
      typedSearchAttributes: [{ key: HAKUBE_CLUSTER, value: 'lab1' }],
    });
    return handle.result();
  });
  assert.deepEqual(result, { cluster: 'lab1', phase: 'done', tokenLength: TOKEN.length, derivedLength: TOKEN.length });

  // A client without the codec sees what the server stores (and what the Web UI shows).
  const raw = new Client({ connection: server.client.connection, namespace: server.namespace });
  const history = await raw.workflow.getHandle(workflowId).fetchHistory();
  const stored = historyBytes(history);
  assert.ok(stored.includes('lab1'), 'plain payloads are stored readable (the search reads them)');
  for (const needle of [TOKEN, TOKEN.split('').reverse().join('')]) {
    assert.ok(!stored.includes(needle), 'a secret must not be stored in plain text');
  }
  // The payloads that carried a secret are JSON with only the secret sealed (key id in the
  // metadata); the others are plain JSON.
  const payloads = (history.events ?? []).flatMap((e) =>
    [
      e.workflowExecutionStartedEventAttributes?.input,
      e.activityTaskScheduledEventAttributes?.input,
      e.activityTaskCompletedEventAttributes?.result,
      e.workflowExecutionCompletedEventAttributes?.result,
    ].flatMap((p) => p?.payloads ?? []),
  );
  const seen = payloads.map((x) => `${Buffer.from(x.metadata?.encoding ?? []).toString()}${x.metadata?.[SEALED_METADATA] ? ' sealed' : ''}`);
  assert.deepEqual(seen, ['json/plain sealed', 'json/plain sealed', 'json/plain sealed', 'json/plain']);
  const input = JSON.parse(Buffer.from(payloads[0].data!).toString()) as { cluster: string; token: Record<string, string> };
  assert.equal(input.cluster, 'lab1', 'the input stays readable');
  assert.deepEqual(Object.keys(input.token), ['__hakubeSealed']);

  // The result holds no secret, so it stays plain: readable in the Web UI.
  const described = await raw.workflow.getHandle(workflowId).result();
  assert.equal((described as { cluster: string }).cluster, 'lab1');

  // The search attributes are registered and indexed.
  let found = 0;
  for (let i = 0; i < 300 && found === 0; i++) {
    for await (const wf of raw.workflow.list({ query: `HakubeCluster = 'lab1' AND HakubePhase = 'done'` })) {
      if (wf.workflowId === workflowId) found++;
    }
    if (found === 0) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(found, 1);
});
