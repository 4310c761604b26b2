/** `hakube status <cluster> [--watch] [--json]`: where a deploy is, per phase and host. */
import type { Command } from 'commander';
import { addConnectionOptions, connectClient, type ConnectionFlags } from '../temporal/connection';
import { describeDeploy, queryProgress, webUiLink } from '../client/deploy';
import { exitCodeFor, follow } from '../client/follow';
import { closedRunSummary } from '../client/closed';
import { withLiveSteps } from '../client/live';
import { renderBoard } from '../client/render';
import { renderSummary } from '../client/summary';

interface StatusFlags extends ConnectionFlags {
  watch?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('status')
    .description("show a cluster deploy's progress per phase, host and step (exit 3 when it waits for the operator)")
    .argument('<cluster>', 'cluster name (metadata.name)')
    .option('--watch', 'keep following until the run ends')
    .option('--json', 'the full progress record as JSON');
  addConnectionOptions(cmd).action(async (cluster: string, flags: StatusFlags) => {
    const client = await connectClient(flags);
    try {
      const desc = await describeDeploy(client, cluster);
      const handle = client.workflow.getHandle(desc.workflowId);
      const link = webUiLink(handle.workflowId, client.options.namespace);
      if (desc.status.name !== 'RUNNING' && !flags.json) {
        // A finished run: the query needs a worker, the result does not.
        const answered = await queryProgress(handle, 3000).catch(() => undefined);
        if (!answered) {
          const closed = await closedRunSummary(handle, desc.status.name);
          process.stdout.write(`${closed.text}\nWeb UI: ${link}\n`);
          process.exitCode = closed.exitCode;
          return;
        }
      }
      if (flags.json) {
        const p = await withLiveSteps(client, await queryProgress(handle));
        process.stdout.write(JSON.stringify(p, null, 2) + '\n');
        process.exitCode = exitCodeFor(p);
        return;
      }
      const p = flags.watch ? await follow(handle, { client }) : await withLiveSteps(client, await queryProgress(handle));
      if (!flags.watch) process.stdout.write(renderBoard(p) + '\n');
      process.stdout.write(renderSummary(p, link) + '\n');
      process.exitCode = exitCodeFor(p);
    } finally {
      await client.connection.close();
    }
  });
}
