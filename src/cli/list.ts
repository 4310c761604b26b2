/** `hakube list`: every cluster deploy the server knows, newest first, from visibility only. */
import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../temporal/connection-flags';
import type { DeployMemo } from '../workflows/defs';

/**
 * What the STATE column says: a running deploy's state as it last published it; a closed one's
 * end. The memo is only as new as the workflow's last publish, so a run terminated (or timed
 * out) while it waited for the operator still says "waiting" there: the server's status wins.
 */
export function stateOf(status: string, memo: Partial<DeployMemo>): string {
  switch (status) {
    case 'RUNNING':
      return memo.waitingOn ? `waiting (${memo.waitingOn})` : (memo.state ?? 'running');
    case 'COMPLETED':
      return memo.state === 'aborted' ? 'aborted' : 'done';
    case 'FAILED':
      return 'failed';
    case 'CONTINUED_AS_NEW':
      return 'continued';
    default:
      return status.toLowerCase().replace(/_/g, ' ');
  }
}

export function register(program: Command): void {
  const cmd = program.command('list').description('list cluster deploys with their state and phase');
  addConnectionOptions(cmd).action(async (flags: ConnectionFlags) => {
    const { connectClient } = await import('../temporal/connection');
    const { HAKUBE_CLUSTER, HAKUBE_PHASE } = await import('../workflows/defs');
    const client = await connectClient(flags);
    try {
      const rows: string[][] = [['CLUSTER', 'STATUS', 'STATE', 'PHASE', 'STARTED', 'WORKFLOW']];
      for await (const wf of client.workflow.list({ query: "WorkflowType = 'deployCluster'" })) {
        const memo = (wf.memo ?? {}) as Partial<DeployMemo>;
        const cluster = wf.typedSearchAttributes.get(HAKUBE_CLUSTER) ?? '?';
        const phase = wf.typedSearchAttributes.get(HAKUBE_PHASE) ?? '';
        const state = stateOf(wf.status.name, memo);
        rows.push([cluster, wf.status.name.toLowerCase(), state, phase, wf.startTime.toISOString(), wf.workflowId]);
      }
      if (rows.length === 1) {
        process.stdout.write('no deploys yet; start one with `hakube deploy -f <cluster.yaml>`\n');
        return;
      }
      const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
      for (const r of rows) process.stdout.write(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n');
    } finally {
      await client.connection.close();
    }
  });
}
