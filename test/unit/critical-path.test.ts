import { test } from 'node:test';
import assert from 'node:assert/strict';
import { criticalPath, parseExecLog, type TimedCommand } from '../../bench/critical-path';

const c = (host: string, start: number, end: number, line = `${host}@${start}`): TimedCommand => ({ host, start, end, line });

test('the critical path chains commands that follow each other, across hosts, and skips overlapping ones', () => {
  const cmds = [
    c('m1', 0, 100), // init
    c('w1', 10, 60), // overlaps init: cannot chain with it
    c('m2', 100, 400), // starts the moment init ends: chains
    c('w2', 120, 300), // overlaps m2's join
    c('m3', 450, 500),
    c('w3', 410, 700), // the heavier successor of m2's join
  ];
  const p = criticalPath(cmds);
  assert.equal(p.ms, 100 + 300 + 290);
  assert.deepEqual(p.chain.map((x) => x.host), ['m1', 'm2', 'w3']);
});

test('the heaviest chain wins over the longest one, and a lone long command can be the whole path', () => {
  const many = Array.from({ length: 10 }, (_, i) => c('a', i * 10, i * 10 + 5));
  assert.equal(criticalPath(many).ms, 50);
  assert.equal(criticalPath([...many, c('b', 0, 99)]).ms, 99);
  assert.deepEqual(criticalPath([]), { ms: 0, chain: [] });
});

test('the path never exceeds the span of the commands, whatever their order', () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 50; round++) {
    const cmds = Array.from({ length: 40 }, (_, i) => {
      const s = Math.floor(rnd() * 1000);
      return c(`h${i % 5}`, s, s + Math.floor(rnd() * 100));
    });
    const p = criticalPath(cmds);
    const span = Math.max(...cmds.map((x) => x.end)) - Math.min(...cmds.map((x) => x.start));
    assert.ok(p.ms <= span, `${p.ms} > ${span}`);
    for (let i = 1; i < p.chain.length; i++) assert.ok(p.chain[i - 1].end <= p.chain[i].start);
    assert.equal(p.ms, p.chain.reduce((s, x) => s + x.end - x.start, 0));
    // Every single command is a chain of its own: the path is at least the longest one.
    assert.ok(p.ms >= Math.max(...cmds.map((x) => x.end - x.start)));
  }
});

test('the exec log parses to ms and keeps tabs inside the command line', () => {
  const log = '1700000000.123456\t1700000001.5\t0\tkubeadm init\tx\nbroken line\n1700000002.000000\t1700000002.010000\t1\ttrue\n';
  const got = parseExecLog('m1', log);
  assert.equal(got.length, 2);
  assert.equal(got[0].line, 'kubeadm init\tx');
  assert.ok(Math.abs(got[0].start - 1700000000123.456) < 0.01);
  assert.ok(Math.abs(got[0].end - got[0].start - 1376.544) < 0.01);
  assert.equal(got[1].host, 'm1');
});
