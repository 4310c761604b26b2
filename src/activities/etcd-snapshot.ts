/**
 * etcdSnapshot: `etcdctl snapshot save` from the first healthy member (asked from master0 with
 * the apiserver's etcd client certificate), checked with `etcdctl snapshot status`, copied to
 * the worker's store with its sha256 (compared with the host's), then retention.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { heartbeat } from '@temporalio/activity';
import type { SshPool } from '../ssh';
import { etcdDriver } from '../drivers/etcd';
import { etcdClientUrls } from '../render/etcd';
import { master0 } from '../spec/topology';
import type { Cluster } from '../spec/types';
import { hakubeHome } from '../temporal/paths';
import { deleteSnapshot, listSnapshots, snapshotName, toDelete } from '../etcd/snapshots';
import { precondition } from './failure';
import { targetFor } from './targets';

export interface SnapshotInput {
  spec: Cluster;
  /** Store directory on the worker's machine (default `<HAKUBE_HOME>/<cluster>/etcd-snapshots`). */
  dir?: string;
  keep?: number;
  maxAgeSeconds?: number;
}

export interface SnapshotResult {
  file: string;
  sha256: string;
  member: string;
  status: { hash: number; revision: number; totalKey: number; totalSize: number };
  deleted: string[];
}

// $1: CA, $2: cert, $3: key, then endpoints: prints the first that answers healthy.
const FIRST_HEALTHY = `ca=$1; cert=$2; key=$3; shift 3
for ep in "$@"; do
    ETCDCTL_API=3 etcdctl --endpoints "$ep" --cacert "$ca" --cert "$cert" --key "$key" --command-timeout 5s endpoint health >/dev/null 2>&1 && { echo "$ep"; exit 0; }
done
echo "no etcd member is healthy" >&2; exit 1`;

const REMOTE_DIR = '/var/lib/hakube/snapshots';

export async function etcdSnapshot(pool: SshPool, input: SnapshotInput): Promise<SnapshotResult> {
  const c = input.spec;
  const cluster = c.metadata.name;
  const dir = input.dir ?? path.join(hakubeHome(), cluster, 'etcd-snapshots');
  if (!path.isAbsolute(dir)) throw precondition(`the snapshot store ${dir} is not an absolute path on the worker`);
  const conn = await pool.get(targetFor(c, master0(c).name));
  const certs = etcdDriver(c).clientCerts;
  const auth = ['--cacert', certs.ca, '--cert', certs.cert, '--key', certs.key];
  const member = (await conn.run(['sh', '-c', FIRST_HEALTHY, 'sh', certs.ca, certs.cert, certs.key, ...etcdClientUrls(c).split(',')], { timeoutMs: 120_000 })).stdoutTail.trim();
  heartbeat(`snapshot from ${member}`);
  const name = snapshotName(cluster, new Date());
  const remote = `${REMOTE_DIR}/${name}`;
  await conn.run(['mkdir', '-p', '-m', '0700', REMOTE_DIR]);
  try {
    await conn.run(['env', 'ETCDCTL_API=3', 'etcdctl', '--endpoints', member, ...auth, '--command-timeout', '300s', 'snapshot', 'save', remote], { timeoutMs: 600_000 });
    const status = JSON.parse((await conn.run(['env', 'ETCDCTL_API=3', 'etcdctl', 'snapshot', 'status', remote, '-w', 'json'])).stdoutTail) as SnapshotResult['status'];
    const hostSum = (await conn.run(['sha256sum', '--', remote])).stdoutTail.trim().split(/\s+/)[0];
    heartbeat('copying');
    const bytes = await conn.readFileBytes(remote);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== hostSum) throw new Error(`the copy of ${remote} has sha256 ${sha256}, the host's file ${hostSum}: not stored`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, name);
    fs.writeFileSync(`${file}.tmp`, bytes, { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
    fs.writeFileSync(`${file}.sha256`, `${sha256}  ${name}\n`, { mode: 0o600 });
    fs.writeFileSync(`${file}.json`, `${JSON.stringify({ cluster, member, status, sha256 }, null, 2)}\n`, { mode: 0o600 });
    const gone = toDelete(listSnapshots(dir, cluster), Date.now(), input.keep, input.maxAgeSeconds);
    gone.forEach(deleteSnapshot);
    return { file, sha256, member, status, deleted: gone.map((g) => g.file) };
  } finally {
    await conn.run(['rm', '-f', '--', remote]).catch(() => undefined);
  }
}
