/** `hakube deploy -f cluster.yaml [--detach]`: validate, start the cluster's run, follow it. */
import { InvalidArgumentError, type Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../temporal/connection-flags';

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
    const { startDeploy } = await import('../client/deploy');
    const { followRun } = await import('./follow-run');
    const spec = loadSpec(flags.file);
    const client = await connectClient(flags);
    try {
      const handle = await startDeploy(client, spec, flags.attempts ? { hostAttempts: flags.attempts } : undefined);
      await followRun(client, handle, {
        what: `deploying ${spec.metadata.name}`,
        plain: flags.plain,
        kubeconfig: true,
        ...(flags.detach ? { detach: { cluster: spec.metadata.name } } : {}),
      });
    } finally {
      await client.connection.close();
    }
  });
}
