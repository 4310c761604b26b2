/**
 * The live board in a real terminal (tmux): a real 5-host deploy (real dev server and CLI,
 * in-memory host activities slowed down so the board redraws many times) and a 3 + 100 host
 * run fed as synthesized snapshots through the same follow path. Every captured screen must
 * fit the window, hold one row per phase and one header; after the run, the scrollback holds
 * the final board once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Worker } from '@temporalio/worker';
import { bundleOnce, startTestServer, type TestServer } from '../helpers/temporal';
import { loadSpec } from '../../src/spec/load';
import { buildPlan } from '../../src/plan/build';
import { FakeHosts } from './deploy-fakes';
import { cliEnv, ROOT, WORKFLOWS } from './deploy-support';

const PHASES = ['prep', 'etcd', 'lb', 'init', 'join-masters', 'join-workers', 'verify', 'cleanup'];
const SPEC = path.join(ROOT, 'examples/ha-vip.yaml');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class Tmux {
  readonly socket = `hakube-board-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {}

  start(command: string, env: NodeJS.ProcessEnv): void {
    // A private tmux server: its environment is this one, and killing it touches nothing else.
    execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', 'new-session', '-d', '-x', String(this.columns), '-y', String(this.rows), command], { env, cwd: ROOT });
  }

  /** The visible screen, one string per terminal row. */
  screen(): string[] {
    return execFileSync('tmux', ['-L', this.socket, 'capture-pane', '-p', '-t', '0'], { encoding: 'utf8' }).replace(/\n$/, '').split('\n');
  }

  /** Scrollback and screen of the normal buffer. */
  history(): string {
    return execFileSync('tmux', ['-L', this.socket, 'capture-pane', '-p', '-S', '-', '-t', '0'], { encoding: 'utf8' });
  }

  stop(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
  }
}

/** Screens captured while the board is up: each must fit and hold exactly one board. */
function checkScreen(lines: string[], t: Tmux, cluster: string): void {
  assert.ok(lines.length <= t.rows, `${lines.length} lines in a ${t.rows}-row window`);
  for (const l of lines) assert.ok(l.length <= t.columns, `a line wider than ${t.columns}: ${l}`);
  for (const ph of PHASES) assert.equal(lines.filter((l) => l.startsWith(`${ph} `)).length, 1, `one row for ${ph}:\n${lines.join('\n')}`);
  assert.equal(lines.filter((l) => l.startsWith(`${cluster}: `)).length, 1, `one header:\n${lines.join('\n')}`);
  assert.equal(lines.filter((l) => l.startsWith('phase ')).length <= 1, true);
}

async function captureWhile(t: Tmux, done: () => boolean, cluster: string, timeoutMs: number): Promise<string[][]> {
  const boards: string[][] = [];
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) {
    const lines = t.screen();
    if (lines.some((l) => l.startsWith(`${cluster}: `)) && !lines.some((l) => l.startsWith('EXIT='))) {
      checkScreen(lines, t, cluster);
      boards.push(lines);
    }
    await sleep(250);
  }
  return boards;
}

let server: TestServer;
let worker: Worker;
let running: Promise<void>;

before(async () => {
  server = await startTestServer();
  const fakes = new FakeHosts(buildPlan(loadSpec(SPEC))).activities();
  // Slow hosts, so the board is seen with hosts running and redraws many times, also at load
  // (700 ms per phase was once too short for a 250 ms capture beside a 5,000-host bench).
  const slow = { ...fakes, runHostPhase: async (input: Parameters<typeof fakes.runHostPhase>[0]) => (await sleep(1500), fakes.runHostPhase(input)) };
  worker = await server.worker({ workflowBundle: await bundleOnce(WORKFLOWS), activities: slow });
  running = worker.run();
});
after(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await server?.stop();
});

test('a real 5-host deploy in a 100x30 terminal: the board fits and redraws in place', async () => {
  const t = new Tmux(100, 30);
  try {
    t.start(`node bin/hakube.js deploy -f ${SPEC}; echo EXIT=$?; sleep 120`, cliEnv(server));
    const exited = (): boolean => t.screen().some((l) => l.startsWith('EXIT='));
    const boards = await captureWhile(t, exited, 'ha-vip', 120_000);
    assert.ok(exited(), 'the deploy ended');
    assert.ok(boards.length >= 5, `the board was seen redrawn (${boards.length} captures)`);
    assert.ok(boards.some((b) => b.some((l) => l.startsWith('… '))), 'a running host with its step was on the board');
    assert.ok(boards.some((b) => /^join-workers running\s+\d+\s+\d+\s+0\s+\d+\s+[█░]+\s+\d+%\s+\d+s/.test(b.find((l) => l.startsWith('join-workers '))!)));
    const history = t.history();
    assert.match(history, /EXIT=0/);
    assert.equal(history.split('\n').filter((l) => l.startsWith('ha-vip: ')).length, 1, `the final board once in the scrollback:\n${history}`);
    assert.match(history, /ha-vip: done/);
    assert.match(history, /verification: PASSED/);
  } finally {
    t.stop();
  }
});

for (const [columns, rows] of [
  [160, 45],
  [80, 20],
] as const) {
  test(`3 + 100 hosts in a ${columns}x${rows} terminal: one row per phase, the hosts that matter, +N more`, async () => {
    const t = new Tmux(columns, rows);
    const release = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hakube-board-')), 'release');
    try {
      t.start(`node --import tsx test/fixtures/board-feed.ts 100 ${release}; echo EXIT=$?; sleep 120`, process.env);
      let held: string[] | undefined;
      const boards = await captureWhile(t, () => (held = t.screen()).some((l) => l.startsWith('✗ ')), 'ha-vip', 60_000);
      assert.ok(boards.length >= 2, 'redrawn while hosts finished');
      checkScreen(held!, t, 'ha-vip');
      assert.match(held!.find((l) => l.startsWith('join-workers '))!, /^join-workers running\s+50\s+10\s+3\s+37\s+█+░+\s+50%\s+\S+ ~\S+ left/);
      assert.equal(held!.filter((l) => l.startsWith('✗ ')).length, 3);
      const more = held!.find((l) => l.startsWith('+'));
      if (rows < 30) assert.match(more ?? '', /^\+\d+ more \(hakube status ha-vip --wide\)$/);
      else assert.equal(held!.filter((l) => l.startsWith('… ')).length, 10);
      fs.writeFileSync(release, '');
      const deadline = Date.now() + 30_000;
      while (!t.screen().some((l) => l.startsWith('EXIT=')) && Date.now() < deadline) await sleep(200);
      const history = t.history();
      assert.match(history, /final: done\nEXIT=0/);
      assert.equal(history.split('\n').filter((l) => l.startsWith('ha-vip: ')).length, 1, `no repeated board in the scrollback:\n${history}`);
    } finally {
      t.stop();
      fs.rmSync(path.dirname(release), { recursive: true, force: true });
    }
  });
}
