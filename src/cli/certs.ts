/**
 * `hakube certs check|renew|schedule CLUSTER`: certificate expiry across the cluster, renewal one
 * control plane at a time behind health gates, and a Temporal Schedule that runs that renewal.
 */
import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../temporal/connection-flags';
import { CliError, EXIT } from './exit';

interface CheckFlags extends ConnectionFlags {
  json?: boolean;
  renewBefore: string;
}
interface RenewFlags extends ConnectionFlags {
  renewBefore: string;
  force?: boolean;
  plain?: boolean;
}
interface ScheduleFlags extends ConnectionFlags {
  cron?: string;
  every?: string;
  renewBefore: string;
}

async function threshold(value: string): Promise<number> {
  const { parseThreshold } = await import('../certs/expiry');
  try {
    return parseThreshold(value, '--renew-before');
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.BAD_INPUT);
  }
}

export function register(program: Command): void {
  const certs = program.command('certs').description('certificate expiry, renewal one control plane at a time, and its schedule');

  const check = certs
    .command('check')
    .description('kubeadm certs check-expiration on every control plane, external etcd and kubelet certificates with openssl: one table; exit 3 when any expires within --renew-before')
    .argument('<cluster>', 'cluster name (metadata.name of its deployed spec)')
    .option('--json', 'the rows as JSON')
    .option('--renew-before <duration>', 'the threshold, e.g. 30d, 12h', '30d');
  addConnectionOptions(check).action(async (cluster: string, flags: CheckFlags) => {
    const limit = await threshold(flags.renewBefore);
    const { connectClient } = await import('../temporal/connection');
    const { certReport } = await import('../client/certs');
    const { expiringRows, renderCertTable } = await import('../certs/expiry');
    const client = await connectClient(flags);
    try {
      const report = await certReport(client, cluster);
      const expiring = expiringRows(report.rows, limit);
      process.stdout.write(flags.json ? `${JSON.stringify({ ...report, thresholdSeconds: limit, expiring: expiring.length }, null, 2)}\n` : `${renderCertTable(report, limit)}\n`);
      if (report.kubeconfigRefreshed) process.stderr.write(`refreshed ${report.kubeconfigRefreshed} from master0's renewed admin.conf\n`);
      if (!flags.json) process.stdout.write(expiring.length ? `${expiring.length} certificate(s) expire within ${flags.renewBefore}: \`hakube certs renew ${cluster}\`\n` : `nothing expires within ${flags.renewBefore}\n`);
      process.exitCode = report.errors.length ? EXIT.FAILED : expiring.length ? EXIT.WAITING : EXIT.DONE;
    } finally {
      await client.connection.close();
    }
  });

  const renew = certs
    .command('renew')
    .description('kubeadm certs renew all, one control plane at a time: restart its static pods until each serves the new certificate, health gate (/readyz, etcd quorum, leases) before the next; a failing master stops the rollout and waits for retry or abort')
    .argument('<cluster>', 'cluster name')
    .option('--renew-before <duration>', 'renew control planes with a certificate expiring within this, e.g. 30d', '30d')
    .option('--force', 'renew every control plane, due or not')
    .option('--plain', 'event lines instead of the live board, even on a terminal');
  addConnectionOptions(renew).action(async (cluster: string, flags: RenewFlags) => {
    const limit = await threshold(flags.renewBefore);
    const { connectClient } = await import('../temporal/connection');
    const { startRenew } = await import('../client/certs');
    const { followRun } = await import('./follow-run');
    const client = await connectClient(flags);
    try {
      const handle = await startRenew(client, cluster, { renewBeforeSeconds: limit, force: !!flags.force });
      await followRun(client, handle, { what: `renewing certificates of ${cluster}`, plain: flags.plain, kubeconfig: true });
    } finally {
      await client.connection.close();
    }
  });

  const schedule = certs
    .command('schedule')
    .description('create or update the Temporal Schedule that checks and renews (overlap SKIP, 1h catch-up window, pause on failure); `hakube schedule` manages it')
    .argument('<cluster>', 'cluster name')
    .option('--cron <expr>', '5-field cron expression, e.g. "0 3 * * 0"')
    .option('--every <duration>', 'interval, e.g. 7d or 12h')
    .option('--renew-before <duration>', 'renew what expires within this', '30d');
  addConnectionOptions(schedule).action(async (cluster: string, flags: ScheduleFlags) => {
    const limit = await threshold(flags.renewBefore);
    const { scheduleSpec, upsertSchedule, scheduleId } = await import('../client/schedules');
    const spec = scheduleSpec(flags);
    const { connectClient } = await import('../temporal/connection');
    const { renewInput } = await import('../client/certs');
    const client = await connectClient(flags);
    try {
      const input = await renewInput(client, cluster, { renewBeforeSeconds: limit, force: false });
      const when = flags.cron ? `cron "${flags.cron}"` : `every ${flags.every}`;
      const note = `hakube: renew certificates of ${cluster} expiring within ${flags.renewBefore} (${when})`;
      const done = await upsertSchedule(client, { cluster, job: 'certs', spec, args: [input], note });
      process.stdout.write(`${done} schedule ${scheduleId(cluster, 'certs')}: ${note}\n`);
    } finally {
      await client.connection.close();
    }
  });
}
