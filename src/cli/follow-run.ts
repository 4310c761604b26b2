/**
 * The tail of every command that starts an action (deploy, apply, reset, certs renew): name the
 * run and its Web UI page, follow it until it ends or waits for the operator, print the summary
 * and set the exit code (a run still going when the follow stops counts as failed).
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { EXIT } from './exit';

export interface FollowRun {
  /** e.g. `deploying c1`. */
  what: string;
  plain?: boolean;
  /** Refresh the operator's kubeconfig from the run's result (deploy, renewal). */
  kubeconfig?: boolean;
  /** Return right after starting, pointing at `hakube status <cluster> --watch`. */
  detach?: { cluster: string };
}

export async function followRun(client: Client, handle: WorkflowHandle, o: FollowRun): Promise<void> {
  const { webUiLink } = await import('../client/deploy');
  const { exitCodeFor, follow } = await import('../client/follow');
  const { renderSummary } = await import('../client/summary');
  const { withKubeconfig } = await import('../client/kubeconfig');
  const link = webUiLink(handle.workflowId, client.options.namespace);
  process.stdout.write(`${o.what}: ${handle.workflowId}\nWeb UI: ${link}\n`);
  if (o.detach) {
    process.stdout.write(`follow it with: hakube status ${o.detach.cluster} --watch\n`);
    return;
  }
  const followed = await follow(handle, { stopOnWaiting: true, tty: o.plain ? false : undefined, client });
  const p = o.kubeconfig ? await withKubeconfig(handle, followed) : followed;
  process.stdout.write(renderSummary(p, link) + '\n');
  process.exitCode = exitCodeFor(p);
  if (p.state === 'running') process.exitCode = EXIT.FAILED;
}
