/**
 * `hakube etcd snapshot CLUSTER [--to DIR] [--schedule ...]`: a snapshot from a healthy member
 * into the worker's store (or a Schedule of them with retention); `hakube etcd restore --plan
 * CLUSTER SNAPSHOT`: the restore runbook for the cluster's topology, printed, never run.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../temporal/connection-flags';
import { CliError, EXIT } from './exit';

interface SnapshotFlags extends ConnectionFlags {
  to?: string;
  schedule?: boolean;
  cron?: string;
  every?: string;
  keep?: string;
  maxAge?: string;
}

interface RestoreFlags extends ConnectionFlags {
  plan?: boolean;
  file?: string;
}

export function register(program: Command): void {
  const etcd = program.command('etcd').description('etcd snapshots (now or on a schedule, with retention) and the restore runbook');
  const snapshot = etcd
    .command('snapshot')
    .description('etcdctl snapshot save from a healthy member, checked with snapshot status, stored with its sha256 on the worker\'s machine; with --schedule a Temporal Schedule does it')
    .argument('<cluster>', 'cluster name')
    .option('--to <dir>', 'store directory on the worker\'s machine (default <HAKUBE_HOME>/<cluster>/etcd-snapshots)')
    .option('--schedule', 'create or update the Schedule instead of taking one now (with --cron or --every)')
    .option('--cron <expr>', '5-field cron expression, e.g. "0 * * * *"')
    .option('--every <duration>', 'interval, e.g. 6h or 1d')
    .option('--keep <n>', 'retention: keep the newest N snapshots')
    .option('--max-age <duration>', 'retention: delete snapshots older than this, e.g. 7d');
  addConnectionOptions(snapshot).action(async (cluster: string, flags: SnapshotFlags) => {
    const { parseThreshold } = await import('../certs/expiry');
    let keep: number | undefined;
    let maxAgeSeconds: number | undefined;
    try {
      if (flags.keep !== undefined) {
        keep = Number(flags.keep);
        if (!Number.isInteger(keep) || keep < 1) throw new Error(`--keep ${JSON.stringify(flags.keep)} is not a count; give a whole number of at least 1, e.g. 7`);
      }
      if (flags.maxAge !== undefined) maxAgeSeconds = parseThreshold(flags.maxAge, '--max-age');
    } catch (err) {
      throw new CliError((err as Error).message, EXIT.BAD_INPUT);
    }
    const req = { ...(flags.to ? { dir: path.resolve(flags.to) } : {}), ...(keep !== undefined ? { keep } : {}), ...(maxAgeSeconds !== undefined ? { maxAgeSeconds } : {}) };
    const { connectClient } = await import('../temporal/connection');
    const client = await connectClient(flags);
    try {
      if (flags.schedule) {
        const { scheduleSpec, scheduleId } = await import('../client/schedules');
        const spec = scheduleSpec(flags);
        const { scheduleSnapshots } = await import('../client/etcd');
        const done = await scheduleSnapshots(client, cluster, spec, flags.cron ? `cron "${flags.cron}"` : `every ${flags.every}`, req);
        process.stdout.write(`${done} schedule ${scheduleId(cluster, 'etcd-snapshot')}\n`);
        return;
      }
      if (flags.cron || flags.every) throw new CliError('--cron and --every belong with --schedule', EXIT.BAD_INPUT);
      const { takeSnapshot } = await import('../client/etcd');
      const r = await takeSnapshot(client, cluster, req);
      process.stdout.write(`${r.file}\nsha256 ${r.sha256}\nfrom ${r.member}: revision ${r.status.revision}, ${r.status.totalKey} keys, ${r.status.totalSize} bytes\n`);
      for (const d of r.deleted) process.stdout.write(`retention deleted ${d}\n`);
    } finally {
      await client.connection.close();
    }
  });
  const restore = etcd
    .command('restore')
    .description('print the restore runbook for the cluster\'s etcd topology with every command (--plan); hakube leaves running it to the operator')
    .argument('<cluster>', 'cluster name (its last applied spec), or use -f')
    .argument('<snapshot>', 'path of the snapshot file (its .sha256 beside it)')
    .option('--plan', 'print the runbook (the only mode: a restore rewinds the whole cluster)')
    .option('-f, --file <cluster.yaml>', 'take the spec from this file instead of the last applied one');
  addConnectionOptions(restore).action(async (cluster: string, snapshot: string, flags: RestoreFlags) => {
    if (!flags.plan) throw new CliError('hakube etcd restore only prints the runbook: pass --plan, then run its commands yourself', EXIT.BAD_INPUT);
    const { renderRestorePlan } = await import('../etcd/restore-plan');
    let spec;
    if (flags.file) {
      spec = (await import('../spec/load')).loadSpec(flags.file);
      if (spec.metadata.name !== cluster) throw new CliError(`${flags.file} is cluster ${spec.metadata.name}, not ${cluster}`, EXIT.BAD_INPUT);
    } else {
      const { connectClient } = await import('../temporal/connection');
      const { lastAppliedSpec } = await import('../client/applied');
      const client = await connectClient(flags);
      try {
        spec = await lastAppliedSpec(client, cluster);
      } finally {
        await client.connection.close();
      }
    }
    process.stdout.write(renderRestorePlan(spec, snapshot));
  });
}
