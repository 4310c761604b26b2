/** `hakube deploy -f cluster.yaml [--detach]`: validate, start the cluster's run, follow it. */
import { InvalidArgumentError, type Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../temporal/connection-flags';
import { EXIT } from './exit';

interface DeployFlags extends ConnectionFlags {
  file: string;
  detach?: boolean;
  plain?: boolean;
  attempts?: number;
}

function attemptsArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 20) throw new InvalidArgumentError('expected a whole number from 1 to 20');
  return n;
}

export function register(program: Command): void {
  const cmd = program
    .command('deploy')
    .description('deploy an HA cluster from a spec and follow the run (exit 0 done, 1 failed, 2 bad input, 3 waiting)')
    .requiredOption('-f, --file <cluster.yaml>', 'cluster spec')
    .option('--detach', 'start the run and return at once')
    .option('--plain', 'event lines instead of the live board, even on a terminal')
    .option('--attempts <n>', "attempts of a host's phase before compensating / waiting for the operator (default 5)", attemptsArg);
  addConnectionOptions(cmd).action(async (flags: DeployFlags) => {
    const { connectClient } = await import('../temporal/connection');
    const { loadSpec } = await import('../spec/load');
    const { startDeploy, webUiLink } = await import('../client/deploy');
    const { exitCodeFor, follow } = await import('../client/follow');
    const { renderSummary } = await import('../client/summary');
    const { withKubeconfig } = await import('../client/kubeconfig');
    const spec = loadSpec(flags.file);
    const client = await connectClient(flags);
    try {
      const handle = await startDeploy(client, spec, flags.attempts ? { hostAttempts: flags.attempts } : undefined);
      const link = webUiLink(handle.workflowId, client.options.namespace);
      process.stdout.write(`deploying ${spec.metadata.name}: ${handle.workflowId}\nWeb UI: ${link}\n`);
      if (flags.detach) {
        process.stdout.write(`follow it with: hakube status ${spec.metadata.name} --watch\n`);
        return;
      }
      const p = await withKubeconfig(handle, await follow(handle, { stopOnWaiting: true, tty: flags.plain ? false : undefined, client }));
      process.stdout.write(renderSummary(p, link) + '\n');
      process.exitCode = exitCodeFor(p);
      if (p.state === 'running') process.exitCode = EXIT.FAILED;
    } finally {
      await client.connection.close();
    }
  });
}
