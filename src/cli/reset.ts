/** `hakube reset -f cluster.yaml [--yes] [--wipe-etcd]`: undo the cluster on every host, in reverse order. */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../temporal/connection-flags';
import { CliError, EXIT } from './exit';

interface ResetFlags extends ConnectionFlags {
  file: string;
  yes?: boolean;
  wipeEtcd?: boolean;
  plain?: boolean;
}

/** The operator types the cluster's name; without a terminal only --yes will do. */
async function confirm(cluster: string, wipeEtcd: boolean): Promise<void> {
  if (!process.stdin.isTTY) throw new CliError(`refusing to reset ${cluster} without confirmation: stdin is not a terminal; pass --yes`, EXIT.BAD_INPUT);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const what = wipeEtcd ? 'every host, and the external etcd data' : 'every host (external etcd data is kept)';
    const answer = await rl.question(`This resets ${what} of cluster ${cluster}. Type the cluster name to go on: `);
    if (answer.trim() !== cluster) throw new CliError('not confirmed: nothing was touched', EXIT.BAD_INPUT);
  } finally {
    rl.close();
  }
}

export function register(program: Command): void {
  const cmd = program
    .command('reset')
    .description('reset every host of a cluster: workers, control planes (master0 last), LB and VIP, external etcd data only with --wipe-etcd')
    .requiredOption('-f, --file <cluster.yaml>', 'cluster spec')
    .option('--yes', 'do not ask for confirmation')
    .option('--wipe-etcd', 'also stop the external etcd cluster and delete its data')
    .option('--plain', 'event lines instead of the live board, even on a terminal');
  addConnectionOptions(cmd).action(async (flags: ResetFlags) => {
    const { connectClient } = await import('../temporal/connection');
    const { loadSpec } = await import('../spec/load');
    const { followRun } = await import('./follow-run');
    const { startReset } = await import('../client/reset');
    const spec = loadSpec(flags.file);
    if (!flags.yes) await confirm(spec.metadata.name, !!flags.wipeEtcd);
    const client = await connectClient(flags);
    try {
      const handle = await startReset(client, spec, !!flags.wipeEtcd);
      await followRun(client, handle, { what: `resetting ${spec.metadata.name}`, plain: flags.plain });
    } finally {
      await client.connection.close();
    }
  });
}
