/**
 * `hakube retry|skip|abort <cluster>`: the operator's answers to a waiting run, sent as
 * Temporal Updates. The workflow's validators refuse a request that does not fit (e.g. skip
 * of a master) and the reason is printed as one line with exit code 2.
 */
import type { Command } from 'commander';
import type { WorkflowHandle } from '@temporalio/client';
import { addConnectionOptions, type ConnectionFlags } from '../temporal/connection-flags';
import { CliError, EXIT } from './exit';

type Defs = typeof import('../workflows/defs');

async function steer(cluster: string, flags: ConnectionFlags, send: (h: WorkflowHandle, defs: Defs) => Promise<string>): Promise<void> {
  const { WorkflowUpdateFailedError } = await import('@temporalio/client');
  const { connectClient } = await import('../temporal/connection');
  const { describeDeploy } = await import('../client/deploy');
  const defs = await import('../workflows/defs');
  const client = await connectClient(flags);
  try {
    const desc = await describeDeploy(client, cluster);
    if (desc.status.name !== 'RUNNING') {
      throw new CliError(`the ${desc.type === 'deployCluster' ? 'deploy' : desc.type.replace(/Cluster$/, '')} of ${cluster} is not running (${desc.status.name.toLowerCase()})`, EXIT.BAD_INPUT);
    }
    const message = await send(client.workflow.getHandle(desc.workflowId), defs);
    process.stdout.write(`${message}\n`);
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const reason = (err.cause as Error | undefined)?.message ?? err.message;
      throw new CliError(`refused: ${reason}`, EXIT.BAD_INPUT);
    }
    throw err;
  } finally {
    await client.connection.close();
  }
}

export function register(program: Command): void {
  addConnectionOptions(
    program
      .command('retry')
      .description('try the failed step of a waiting deploy again (after fixing its cause)')
      .argument('<cluster>', 'cluster name'),
  ).action((cluster: string, flags: ConnectionFlags) => steer(cluster, flags, (h, d) => h.executeUpdate(d.retryUpdate)));
  addConnectionOptions(
    program
      .command('skip')
      .description('carry on without a failed worker (workers only)')
      .argument('<cluster>', 'cluster name')
      .argument('<host>', 'the failed worker'),
  ).action((cluster: string, host: string, flags: ConnectionFlags) => steer(cluster, flags, (h, d) => h.executeUpdate(d.skipUpdate, { args: [host] })));
  addConnectionOptions(
    program
      .command('abort')
      .description('stop a deploy and run the reverse cleanup (joined nodes reset, transient secrets removed; master0 kept)')
      .argument('<cluster>', 'cluster name'),
  ).action((cluster: string, flags: ConnectionFlags) => steer(cluster, flags, (h, d) => h.executeUpdate(d.abortUpdate)));
}
