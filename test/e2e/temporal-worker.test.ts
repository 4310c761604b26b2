/**
 * `hakube worker` as a process: it bundles the real src/workflows (so a workflow file that
 * breaks the sandbox fails here), loads the real activities, polls task queue `hakube`, and on
 * SIGINT drains and exits 0. On Linux it runs as a child with glibc's arenas capped, which dies
 * with the launcher.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/temporal';
import { TASK_QUEUE } from '../../src/temporal/task-queue';
import { alive } from '../../src/temporal/pids';
import { workerPidOf } from '../helpers/worker-pid';

const BIN = path.join(__dirname, '../../bin/hakube.js');
let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server?.stop();
});

async function pollerCount(): Promise<number> {
  const { pollers } = await server.client.workflowService.describeTaskQueue({
    namespace: server.namespace,
    taskQueue: { name: TASK_QUEUE },
    taskQueueType: 1, // workflow
  });
  return pollers?.length ?? 0;
}

test('hakube worker polls the hakube task queue and stops cleanly on SIGINT', async () => {
  const child = spawn(process.execPath, [BIN, 'worker', '--address', server.address, '--max-concurrent-activities', '4'], {
    env: { ...server.env, TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml' },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const started = Date.now();
    while (!stderr.includes('polling task queue') && Date.now() - started < 90_000 && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(stderr, /polling task queue "hakube" on 127\.0\.0\.1:\d+ \(namespace default\)/, stderr);
    let pollers = 0;
    for (let i = 0; i < 150 && pollers === 0; i++) {
      pollers = await pollerCount();
      if (pollers === 0) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(pollers > 0, 'the server sees the worker polling');
  } finally {
    child.kill('SIGINT');
  }
  const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 35_000).unref())]);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /state: 'DRAINED'/);
  assert.doesNotMatch(stderr, /\[ERROR\]|hakube: /);
});

const environ = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
async function startedWorker(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [BIN, 'worker', '--address', server.address], { env: { ...server.env, TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml', ...env } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(String(signal ?? code))));
  const started = Date.now();
  while (!stderr.includes('polling task queue') && Date.now() - started < 90_000 && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
  assert.match(stderr, /polling task queue/, stderr);
  return { child, exited, stderr: () => stderr };
}

test('hakube worker runs with MALLOC_ARENA_MAX=2 in a child that a SIGKILL of the launcher ends too', async () => {
  const w = await startedWorker({});
  const pid = workerPidOf(w.child.pid!);
  try {
    assert.notEqual(pid, w.child.pid, 'the launcher has the worker as its child');
    assert.ok(environ(pid).includes('MALLOC_ARENA_MAX=2'));
    assert.ok(!environ(w.child.pid!).includes('MALLOC_ARENA_MAX=2'), 'the launcher itself started without it');
  } finally {
    w.child.kill('SIGKILL');
  }
  assert.equal(await w.exited, 'SIGKILL');
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(alive(pid), false, 'the worker died with its launcher');
});

test('a supervised worker run from the sources through tsx dies with the launcher too', async () => {
  const w = await startedWorker({ HAKUBE_FROM_SOURCE: '1' });
  const middle = workerPidOf(w.child.pid!);
  const pid = workerPidOf(middle);
  try {
    assert.notEqual(pid, middle, 'the supervised child runs the sources in a child of its own');
    assert.ok(environ(pid).includes('HAKUBE_UNDER_TSX=1'));
  } finally {
    w.child.kill('SIGKILL');
  }
  assert.equal(await w.exited, 'SIGKILL');
  for (let i = 0; i < 50 && (alive(pid) || alive(middle)); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(alive(middle), false, 'the supervised child died with its launcher');
  assert.equal(alive(pid), false, 'the worker under tsx died with it');
});

test('hakube worker with MALLOC_ARENA_MAX already set is one process, and SIGTERM drains it', async () => {
  const w = await startedWorker({ MALLOC_ARENA_MAX: '4' });
  assert.equal(workerPidOf(w.child.pid!), w.child.pid, 'no child: the launcher is the worker');
  w.child.kill('SIGTERM');
  assert.equal(await w.exited, '0', w.stderr());
  assert.match(w.stderr(), /state: 'DRAINED'/);
});
