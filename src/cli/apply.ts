/** `hakube apply -f cluster.yaml`: run the difference between the last applied spec and this one. */
import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../temporal/connection-flags';

interface ApplyFlags extends ConnectionFlags {
  file: string;
  plain?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('apply')
    .description('apply an edited spec to a deployed cluster: new hosts join, removed hosts are drained, removed and reset (see `hakube plan --action apply`)')
    .requiredOption('-f, --file <cluster.yaml>', 'cluster spec')
    .option('--plain', 'event lines instead of the live board, even on a terminal');
  addConnectionOptions(cmd).action(async (flags: ApplyFlags) => {
    const { connectClient } = await import('../temporal/connection');
    const { loadSpec } = await import('../spec/load');
    const { followRun } = await import('./follow-run');
    const { previewApply, startApply } = await import('../client/apply');
    const spec = loadSpec(flags.file);
    const client = await connectClient(flags);
    try {
      const preview = await previewApply(client, spec);
      process.stdout.write(preview.text);
      const handle = await startApply(client, spec, preview);
      await followRun(client, handle, { what: `applying ${spec.metadata.name}`, plain: flags.plain });
    } finally {
      await client.connection.close();
    }
  });
}
