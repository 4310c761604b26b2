/**
 * Every action's plan from one description of the action, so the CLI's `plan --action`, the
 * workflow and the activities all compute the same phases and steps.
 */
import { resetModules } from '../phases/reset';
import { master0 } from '../spec/topology';
import type { Cluster } from '../spec/types';
import { buildPlan } from './build';
import type { ActionName, Plan, PlannedPhase } from './types';

export type ActionRef = { action: 'deploy' } | { action: 'reset'; wipeEtcd: boolean };

export function actionRef(action: ActionName, opts: { wipeEtcd?: boolean } = {}): ActionRef {
  return action === 'reset' ? { action, wipeEtcd: opts.wipeEtcd ?? false } : { action };
}

export function buildResetPlan(c: Cluster, wipeEtcd: boolean): Plan {
  const phases: PlannedPhase[] = resetModules({ wipeEtcd }).map((mod) => {
    const reason = mod.skipReason(c);
    if (reason !== undefined) return { name: mod.name, title: mod.title, run: mod.run, skipped: true, reason, hosts: [], concurrency: 0, steps: [] };
    return { name: mod.name, title: mod.title, run: mod.run, skipped: false, hosts: mod.hosts(c), concurrency: mod.concurrency(c), steps: mod.steps(c) };
  });
  return { cluster: c.metadata.name, master0: master0(c).name, phases };
}

export function buildActionPlan(c: Cluster, ref: ActionRef = { action: 'deploy' }): Plan {
  return ref.action === 'reset' ? buildResetPlan(c, ref.wipeEtcd) : buildPlan(c);
}
