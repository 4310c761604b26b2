/** The snapshot store's names and retention: oldest deleted first, the newest never. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteSnapshot, listSnapshots, snapshotName, toDelete } from '../../src/etcd/snapshots';

const H = 3600_000;

test('names sort by time, other clusters and stray files are not this cluster\'s', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snaps-'));
  const t0 = Date.parse('2026-12-01T00:00:00Z');
  for (const i of [2, 0, 1]) writeFileSync(join(dir, snapshotName('c1', new Date(t0 + i * H))), 'x');
  writeFileSync(join(dir, snapshotName('c10', new Date(t0))), 'x');
  writeFileSync(join(dir, 'c1-notes.db'), 'x');
  const got = listSnapshots(dir, 'c1');
  assert.deepEqual(got.map((s) => s.at), [t0, t0 + H, t0 + 2 * H]);
  assert.match(got[0].file, /c1-20261201T000000Z\.db$/);
});

test('keep N deletes the oldest beyond N; max age deletes the old ones; both together take either', () => {
  const now = Date.parse('2026-12-02T00:00:00Z');
  const snaps = [30, 20, 10, 1].map((h, i) => ({ file: `s${i}`, at: now - h * H }));
  assert.deepEqual(toDelete(snaps, now, 2).map((s) => s.file), ['s0', 's1']);
  assert.deepEqual(toDelete(snaps, now, undefined, 15 * 3600).map((s) => s.file), ['s0', 's1']);
  assert.deepEqual(toDelete(snaps, now, 3, 25 * 3600).map((s) => s.file), ['s0']);
  assert.deepEqual(toDelete(snaps, now).map((s) => s.file), []);
});

test('the newest snapshot survives any policy, even one that would delete them all', () => {
  const now = Date.parse('2026-12-02T00:00:00Z');
  const snaps = [48, 40].map((h, i) => ({ file: `s${i}`, at: now - h * H }));
  assert.deepEqual(toDelete(snaps, now, 1, 3600).map((s) => s.file), ['s0']);
});

test('deleting a snapshot removes its .sha256 and .json too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snaps-'));
  const f = join(dir, snapshotName('c1', new Date()));
  for (const x of [f, `${f}.sha256`, `${f}.json`]) writeFileSync(x, 'x');
  deleteSnapshot({ file: f, at: 0 });
  assert.equal([f, `${f}.sha256`, `${f}.json`].some(existsSync), false);
});
