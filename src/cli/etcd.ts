/** `hakube etcd restore --plan CLUSTER SNAPSHOT`: the restore runbook for the cluster's topology, printed, never run. */
import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../temporal/connection-flags';
import { CliError, EXIT } from './exit';

interface RestoreFlags extends ConnectionFlags {
  plan?: boolean;
  file?: string;
}

export function register(program: Command): void {
  const etcd = program.command('etcd').description('etcd restore runbook');
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
