/**
 * The snapshot store on the worker's machine: `<dir>/<cluster>-<UTC stamp>.db` (0600: etcd holds
 * every Secret of the cluster), its `.sha256` beside it in sha256sum's format, and `.json` with
 * what `etcdctl snapshot status` said. Retention keeps the newest N and/or those younger than a
 * maximum age, deleting the oldest first.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const snapshotName = (cluster: string, at: Date): string => `${cluster}-${at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.db`;

export interface StoredSnapshot {
  file: string;
  at: number;
}

/** This cluster's snapshots in `dir`, oldest first (by the stamp in the name). */
export function listSnapshots(dir: string, cluster: string): StoredSnapshot[] {
  if (!fs.existsSync(dir)) return [];
  const re = new RegExp(`^${cluster}-(\\d{8}T\\d{6}Z)\\.db$`);
  return fs
    .readdirSync(dir)
    .map((f) => ({ f, m: re.exec(f) }))
    .filter((x): x is { f: string; m: RegExpExecArray } => x.m !== null)
    .map(({ f, m }) => ({ file: path.join(dir, f), at: Date.parse(m[1].replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z')) }))
    .sort((a, b) => a.at - b.at);
}

/** Which snapshots retention deletes: beyond the newest `keep`, or older than `maxAgeSeconds`. Pure. */
export function toDelete(snaps: readonly StoredSnapshot[], now: number, keep?: number, maxAgeSeconds?: number): StoredSnapshot[] {
  const out = new Set<StoredSnapshot>();
  if (keep !== undefined) snaps.slice(0, Math.max(0, snaps.length - keep)).forEach((s) => out.add(s));
  if (maxAgeSeconds !== undefined) snaps.filter((s) => now - s.at > maxAgeSeconds * 1000).forEach((s) => out.add(s));
  // The newest is never deleted: a store must keep one good snapshot whatever the policy says.
  const newest = snaps.at(-1);
  if (newest) out.delete(newest);
  return snaps.filter((s) => out.has(s));
}

export function deleteSnapshot(s: StoredSnapshot): void {
  for (const f of [s.file, `${s.file}.sha256`, `${s.file}.json`]) fs.rmSync(f, { force: true });
}
