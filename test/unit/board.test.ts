import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitBoard, formatDuration } from '../../src/client/board';
import { renderHost, renderWide } from '../../src/client/detail';
import { midFlightProgress } from '../helpers/progress';

const PHASES = ['prep', 'etcd', 'lb', 'init', 'join-masters', 'join-workers', 'verify', 'cleanup'];
const wide = midFlightProgress({ workers: 100, done: 40, running: 20, failed: 3 });
const small = midFlightProgress({ workers: 2, done: 1, running: 1, failed: 0 });
const joinStart = wide.phases.find((p) => p.name === 'join-workers')!.startedAt!;
const now = joinStart + 130_000;

function assertFits(lines: string[], columns: number, rows: number): void {
  assert.ok(lines.length < rows, `${lines.length} lines fit in ${rows} rows`);
  for (const l of lines) assert.ok(l.length < columns, `line of ${l.length} fits in ${columns} columns: ${l}`);
}

function phaseRows(lines: string[]): string[] {
  return lines.filter((l) => PHASES.some((ph) => l.startsWith(`${ph} `)));
}

test('3+100 hosts in 160x45: one row per phase, the failed and running hosts, nothing wraps or scrolls', () => {
  const lines = fitBoard(wide, { columns: 160, rows: 45 }, now);
  assertFits(lines, 160, 45);
  assert.deepEqual(phaseRows(lines).map((l) => l.split(' ')[0]), PHASES);
  assert.equal(lines.filter((l) => l.startsWith('ha-vip: ')).length, 1, 'one header');
  const row = lines.find((l) => l.startsWith('join-workers '))!;
  assert.match(row, /^join-workers running\s+40\s+20\s+3\s+37\s+█+░+\s+40%\s+2m10s ~3m15s left$/);
  assert.match(lines[0], /ha-vip: running \(join-workers\)\s+·\s+103 hosts\s+·\s+6m10s elapsed/);
  assert.equal(lines.filter((l) => l.startsWith('✗ ')).length, 3);
  assert.equal(lines.filter((l) => l.startsWith('… ')).length, 20);
  assert.match(lines.find((l) => l.startsWith('✗ w61'))!, /join-workers failed: CommandFailedError: kubeadm join exited 1 on w61/);
  assert.match(lines.find((l) => l.startsWith('… w41'))!, /join-workers kubeadm join/);
  assert.ok(!lines.some((l) => l.includes('more')), 'everything that matters fits');
});

test('in 80x24 the hosts that matter are cut with an exact "+N more", failed ones first', () => {
  const lines = fitBoard(wide, { columns: 80, rows: 24 }, now);
  assertFits(lines, 80, 24);
  assert.equal(phaseRows(lines).length, PHASES.length);
  const shown = lines.filter((l) => l.startsWith('✗ ') || l.startsWith('… ')).length;
  const more = lines.find((l) => l.startsWith('+'));
  assert.match(more ?? '', /^\+(\d+) more \(hakube status ha-vip --wide\)$/);
  assert.equal(shown + Number(/\d+/.exec(more!)![0]), 23);
  assert.ok(lines.findIndex((l) => l.startsWith('✗ ')) < lines.findIndex((l) => l.startsWith('… ')));
});

test('any terminal from 40x12 to 200x60: never wider or taller than the window, always one row per phase', () => {
  for (let columns = 40; columns <= 200; columns += 9) {
    for (let rows = 12; rows <= 60; rows += 6) {
      for (const p of [wide, small]) {
        const lines = fitBoard(p, { columns, rows }, now);
        assertFits(lines, columns, rows);
        assert.equal(phaseRows(lines).length, PHASES.length, `${columns}x${rows}`);
      }
    }
  }
});

test('elapsed and estimate: none before start, an estimate only while some hosts are done', () => {
  const lines = fitBoard(small, { columns: 120, rows: 30 }, now);
  assert.match(lines.find((l) => l.startsWith('prep '))!, /100%\s+1m00s$/);
  assert.match(lines.find((l) => l.startsWith('join-workers '))!, /50%\s+2m10s ~2m10s left$/);
  assert.match(lines.find((l) => l.startsWith('verify '))!, /0%$/);
  assert.equal(formatDuration(59_400), '59s');
  assert.equal(formatDuration(3_725_000), '1h02m');
});

test('while waiting, the operator block keeps its "next:" line even when cut short', () => {
  const p = structuredClone(wide);
  p.state = 'waiting';
  p.waiting = {
    phase: 'join-workers',
    hosts: ['w61', 'w62', 'w63'],
    error: 'w61: CommandFailedError; w62: CommandFailedError; w63: CommandFailedError',
    allowed: ['retry', 'skip', 'abort'],
    health: { ok: true, checks: Array.from({ length: 10 }, (_, i) => ({ name: `check ${i}`, ok: i !== 3, detail: 'x' })) },
  };
  const lines = fitBoard(p, { columns: 100, rows: 16 }, now);
  assertFits(lines, 100, 16);
  assert.match(lines[lines.length - 1], /next: hakube retry ha-vip {2}\| {2}hakube skip ha-vip <host> {2}\| {2}hakube abort ha-vip/);
  assert.ok(lines.some((l) => l.startsWith('WAITING for the operator in join-workers')));
});

test('--wide lists every host of every phase; --host shows one host step by step', () => {
  const lines = renderWide(wide, now);
  assert.equal(lines.filter((l) => /^ {2}\S w\d+ /.test(l)).length, 300, 'prep, join-workers and verify each list all 100 workers');
  assert.ok(lines.some((l) => /^ {2}✗ w62\s+failed\s+CommandFailedError/.test(l)));
  const host = renderHost(wide, 'w41', now)!;
  assert.equal(host[0], 'w41 in ha-vip');
  assert.ok(host.some((l) => /^join-workers: running/.test(l)));
  assert.ok(host.some((l) => /^ {2}… kubeadm join .*: running$/.test(l)));
  assert.equal(renderHost(wide, 'nope', now), undefined);
});
