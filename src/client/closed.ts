/**
 * A finished run when no worker is up to answer the progress query: the workflow's result (or
 * failure) is on the server, so `hakube status` can still say how it ended.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { EXIT, type ExitCode } from '../exit';
import type { DeployResult } from '../workflows/defs';
import { saveKubeconfig } from './kubeconfig';
import { renderVerification } from './summary';

export async function closedRunSummary(handle: WorkflowHandle, status: string): Promise<{ text: string; exitCode: ExitCode }> {
  try {
    const r = (await handle.result()) as DeployResult;
    const lines = [`${r.cluster}: ${r.state} (run ${status.toLowerCase()}; start a worker for step detail)`];
    if (r.state === 'done') lines.push(...renderVerification(r.verification));
    const kubeconfig = saveKubeconfig(r.cluster, r.kubeconfig);
    if (kubeconfig) lines.push(`kubeconfig: ${kubeconfig}`);
    if (r.skipped.length) lines.push(`skipped hosts: ${r.skipped.join(', ')}`);
    return { text: lines.join('\n'), exitCode: r.state === 'done' ? EXIT.DONE : EXIT.FAILED };
  } catch (err) {
    const cause = (err as { cause?: Error }).cause;
    return { text: `deploy ${status.toLowerCase()}: ${cause?.message ?? (err as Error).message}`, exitCode: EXIT.FAILED };
  }
}
