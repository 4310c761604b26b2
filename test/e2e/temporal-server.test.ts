/**
 * `hakube server --background` on a temp HAKUBE_HOME and non-default ports: a workflow runs,
 * the server is stopped and started again, and the run's history is still there (SQLite file),
 * readable through the server and through the Web UI's API.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleOnce } from '../helpers/temporal';
import * as activities from '../fixtures/activities';
import { greet } from '../fixtures/workflows';
import { connectClient, connectNative } from '../../src/temporal/connection';
import { TASK_QUEUE } from '../../src/temporal/task-queue';
import { createWorker } from '../../src/worker';

const BIN = path.join(__dirname, '../../bin/hakube.js');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hakube-server-'));
const env = { ...process.env, HAKUBE_HOME: home, HAKUBE_CODEC_KEY: randomBytes(32).toString('base64') };

function hakube(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 90_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

function hakubeAsync(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

async function freePort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Exited: no such process, or a zombie waiting for init to reap it. */
function gone(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

after(() => {
  // If an assertion failed midway, end the servers this test started (their pid files only).
  for (const pidFile of [path.join(home, 'server.pid'), path.join(home, 'codec-server.pid')]) {
    if (!fs.existsSync(pidFile)) continue;
    try {
      process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 'SIGTERM');
    } catch {
      // already gone
    }
  }
  fs.rmSync(home, { recursive: true, force: true });
});

test('a workflow history survives a server restart', async () => {
  const port = await freePort();
  const uiPort = await freePort();
  const ports = ['--port', String(port), '--ui-port', String(uiPort)];
  const address = `127.0.0.1:${port}`;

  const started = hakube(['server', '--background', ...ports]);
  assert.equal(started.code, 0, started.out);
  assert.match(started.out, new RegExp(`started \\(pid \\d+\\) at ${address.replace(/\./g, '\\.')}`));
  const pid = Number(fs.readFileSync(path.join(home, 'server.pid'), 'utf8'));
  assert.ok(fs.existsSync(path.join(home, 'temporal.db')));

  const workflowId = `greet-restart-${Date.now()}`;
  const { connection } = await connectNative({ address, env });
  try {
    const worker = await createWorker({
      connection,
      env,
      workflowBundle: await bundleOnce(path.join(__dirname, '../fixtures/workflows.ts')),
      activities,
    });
    const client = await connectClient({ address, env });
    await worker.runUntil(
      client.workflow.execute(greet, { taskQueue: TASK_QUEUE, workflowId, args: ['restart'] }),
    );
    await client.connection.close();
  } finally {
    await connection.close();
  }

  const stopped = hakube(['server', 'stop', ...ports]);
  assert.equal(stopped.code, 0, stopped.out);
  assert.match(stopped.out, new RegExp(`stopped Temporal dev server \\(pid ${pid}\\)`));
  assert.ok(gone(pid), 'the server process is gone');
  assert.equal(hakube(['server', 'status', ...ports]).code, 1);

  // Two starts at once (a demo and a test, say) share one server instead of fighting over the db.
  const [a, b] = await Promise.all([hakubeAsync(['server', '--background', ...ports]), hakubeAsync(['server', '--background', ...ports])]);
  assert.equal(a.code, 0, a.out);
  assert.equal(b.code, 0, b.out);
  const pids = [a.out, b.out].map((o) => /\(pid (\d+)\)/.exec(o)?.[1]);
  assert.equal(pids[0], pids[1], 'both report the same server');
  assert.match(a.out + b.out, /already running/);
  const client = await connectClient({ address, env });
  try {
    const handle = client.workflow.getHandle(workflowId);
    assert.equal(await handle.result(), 'hello hello restart');
    const events = (await handle.fetchHistory()).events ?? [];
    assert.ok(events.some((e) => e.activityTaskCompletedEventAttributes), 'activity results are in the history');
    const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    assert.deepEqual([customAttributes?.HakubeCluster, customAttributes?.HakubePhase], [2, 2], 'Keyword search attributes registered');
  } finally {
    await client.connection.close();
  }

  // The Web UI serves the same run (its HTTP API proxies the frontend).
  // It may answer 503 for a moment after a restart while it connects to the frontend.
  let res = await fetch(`http://127.0.0.1:${uiPort}/api/v1/namespaces/default/workflows/${workflowId}`);
  for (let i = 0; i < 150 && res.status === 503; i++) {
    await new Promise((r) => setTimeout(r, 200));
    res = await fetch(`http://127.0.0.1:${uiPort}/api/v1/namespaces/default/workflows/${workflowId}`);
  }
  assert.equal(res.status, 200);
  const body = await res.text();
  assert.ok(body.includes(workflowId));
  assert.match(body, /WORKFLOW_EXECUTION_STATUS_COMPLETED|"status":\s*"?(2|Completed)/);

  const status = hakube(['server', 'status', ...ports]);
  assert.equal(status.code, 0, status.out);
  assert.equal(hakube(['server', 'stop', ...ports]).code, 0);
});
