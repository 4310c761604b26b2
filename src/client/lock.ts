/**
 * The cluster's lock: one action (deploy, apply, reset) at a time per cluster. Each action's
 * workflow id already refuses a second run of the same action (conflict policy FAIL); across
 * actions the running ones are found by the HakubeCluster search attribute every action
 * carries from its start. Visibility can trail a start by a moment: two operators starting
 * different actions within the same second may both pass, which the id policy cannot catch.
 */
import type { Client } from '@temporalio/client';
import { CliError, EXIT } from '../exit';

/** The workflow type of each locking action. */
export const ACTION_WORKFLOWS = { deploy: 'deployCluster', apply: 'applyCluster', reset: 'resetCluster', 'renew-certs': 'renewCerts' } as const;
export type LockingAction = keyof typeof ACTION_WORKFLOWS;

export const actionWorkflowId = (cluster: string, action: LockingAction): string => `hakube/${cluster}/${action}`;

export interface RunningAction {
  action: LockingAction;
  workflowId: string;
  startTime?: Date;
}

export async function runningActions(client: Client, cluster: string): Promise<RunningAction[]> {
  const byType = new Map<string, LockingAction>(Object.entries(ACTION_WORKFLOWS).map(([a, t]) => [t, a as LockingAction]));
  const out: RunningAction[] = [];
  // The cluster name is a DNS label (validated), so it needs no quoting beyond the literal.
  for await (const w of client.workflow.list({ query: `HakubeCluster = "${cluster}" AND ExecutionStatus = "Running"` })) {
    const action = byType.get(w.type);
    if (action) out.push({ action, workflowId: w.workflowId, startTime: w.startTime });
  }
  return out;
}

/** Refuses (exit 2) when another action runs on the cluster, naming it. */
export async function assertUnlocked(client: Client, cluster: string, wanted: LockingAction): Promise<void> {
  const running = await runningActions(client, cluster);
  if (running.length === 0) return;
  const r = running[0];
  const since = r.startTime ? ` since ${r.startTime.toISOString()}` : '';
  throw new CliError(
    `cannot ${wanted} ${cluster}: the cluster is locked by its running ${r.action} (${r.workflowId}${since}); follow it with \`hakube status ${cluster} --watch\`, or end it with \`hakube abort ${cluster}\` first`,
    EXIT.BAD_INPUT,
  );
}
