/**
 * A finished run, read from its result rather than by a query: a query of a closed run makes a
 * worker replay its whole history, the result is its last event. Runs recorded since the result
 * carries the final progress get their full board with no worker at all; older runs and failed
 * ones (a failure has no result) still say how they ended.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { EXIT, type ExitCode } from '../exit';
import type { DeployResult, Progress } from '../workflows/defs';
import { saveKubeconfig } from './kubeconfig';
import { expandProgress, summarizedDone } from './progress';
import { renderVerification } from './summary';

export type RunEnding = { result: DeployResult } | { error: string };

export async function readEnding(handle: WorkflowHandle): Promise<RunEnding> {
  try {
    return { result: (await handle.result()) as DeployResult };
  } catch (err) {
    const cause = (err as { cause?: Error }).cause;
    return { error: cause?.message ?? (err as Error).message };
  }
}

/** The result's final progress, expanded, with admin.conf written to the operator's copy; undefined when the result has none. */
export function finalProgress(ending: RunEnding, env: NodeJS.ProcessEnv = process.env): { progress: Progress; summarized: string[] } | undefined {
  if (!('result' in ending) || !ending.result?.progress) return undefined;
  const wire = ending.result.progress;
  const p = expandProgress(wire);
  const file = saveKubeconfig(ending.result.cluster, ending.result.kubeconfig, env);
  return { progress: file ? { ...p, kubeconfig: file } : p, summarized: summarizedDone(wire) };
}

/** How a run without final progress ended, in a few lines. */
export function closedRunSummary(ending: RunEnding, status: string, env: NodeJS.ProcessEnv = process.env): { text: string; exitCode: ExitCode } {
  if (!('result' in ending)) return { text: `deploy ${status.toLowerCase()}: ${ending.error}`, exitCode: EXIT.FAILED };
  const r = ending.result;
  const lines = [`${r.cluster}: ${r.state} (run ${status.toLowerCase()}; start a worker for step detail)`];
  if (r.state === 'done') lines.push(...renderVerification(r.verification));
  const kubeconfig = saveKubeconfig(r.cluster, r.kubeconfig, env);
  if (kubeconfig) lines.push(`kubeconfig: ${kubeconfig}`);
  if (r.skipped.length) lines.push(`skipped hosts: ${r.skipped.join(', ')}`);
  return { text: lines.join('\n'), exitCode: r.state === 'done' ? EXIT.DONE : EXIT.FAILED };
}
