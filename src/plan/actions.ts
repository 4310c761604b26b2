/**
 * Every action's plan from one description of the action, so the CLI's `plan --action`, the
 * workflow and the activities all compute the same phases and steps.
 */
import { removalPhases } from '../phases/remove';
import { resetModules } from '../phases/reset';
import { renewAllSteps, renewHosts, RENEW_RUN, type RenewOptions } from '../phases/renew-certs';
import { etcdDriver } from '../drivers/etcd';
import { diffSpecs } from './diff';
import { master0 } from '../spec/topology';
import type { Cluster } from '../spec/types';
import { buildPlan } from './build';
import type { ActionName, Plan, PlannedPhase } from './types';

export type ActionRef =
  | { action: 'deploy' }
  | { action: 'reset'; wipeEtcd: boolean }
  | { action: 'apply'; previous: Cluster }
  | ({ action: 'renew-certs' } & RenewOptions);

export function actionRef(action: Exclude<ActionName, 'apply'>, opts: { wipeEtcd?: boolean } = {}): ActionRef {
  return action === 'reset' ? { action, wipeEtcd: opts.wipeEtcd ?? false } : { action };
}

/**
 * apply: the removals the difference asks for, then the new spec's deploy phases. Those are
 * idempotent and judge "done" by the cluster, so on a deployed cluster only the new hosts join,
 * and every backend list (haproxy, nginx) and keepalived config is rewritten from the new spec.
 */
export function buildApplyPlan(previous: Cluster, next: Cluster): Plan {
  const d = diffSpecs(previous, next);
  if (d.refused.length) throw new Error(d.refused.join('; '));
  const removals: PlannedPhase[] = removalPhases(next, d, previous).map((r) =>
    r.skipReason !== undefined
      ? { name: r.name, title: r.title, run: r.run, skipped: true, reason: r.skipReason, hosts: [], concurrency: 0, steps: [] }
      : { name: r.name, title: r.title, run: r.run, skipped: false, hosts: [...new Set(r.steps.map((s) => s.host))], concurrency: 1, steps: r.steps },
  );
  const deploy = buildPlan(next);
  return { ...deploy, phases: [...removals, ...deploy.phases] };
}

export function buildResetPlan(c: Cluster, wipeEtcd: boolean): Plan {
  const phases: PlannedPhase[] = resetModules({ wipeEtcd }).map((mod) => {
    const reason = mod.skipReason(c);
    if (reason !== undefined) return { name: mod.name, title: mod.title, run: mod.run, skipped: true, reason, hosts: [], concurrency: 0, steps: [] };
    return { name: mod.name, title: mod.title, run: mod.run, skipped: false, hosts: mod.hosts(c), concurrency: mod.concurrency(c), steps: mod.steps(c) };
  });
  return { cluster: c.metadata.name, master0: master0(c).name, phases };
}

/**
 * Certificate renewal: the topology's own etcd member by member (external; stacked members are
 * kubeadm's and renew with their control plane), control planes one by one behind the health
 * gate, then the deploy's verify.
 */
export function buildRenewPlan(c: Cluster, o: RenewOptions): Plan {
  const etcdSteps = etcdDriver(c).renewSteps(c, o);
  const etcd: PlannedPhase[] = etcdSteps.length
    ? [
        {
          name: 'renew-etcd',
          title: `re-sign the external etcd's certificates with its CA, one member at a time behind quorum (${o.force ? 'every one: --force' : `those expiring within ${o.renewBeforeSeconds} s`})`,
          run: { kind: 'host', secrets: [] },
          skipped: false,
          hosts: [...new Set(etcdSteps.map((s) => s.host))],
          concurrency: 1,
          steps: etcdSteps,
        },
      ]
    : [];
  const renew: PlannedPhase = {
    name: 'renew-certs',
    title: `renew certificates, one control plane at a time (${o.force ? 'every one: --force' : `those with one expiring within ${o.renewBeforeSeconds} s`})`,
    run: RENEW_RUN,
    skipped: false,
    hosts: renewHosts(c),
    concurrency: 1,
    steps: renewAllSteps(c, o),
  };
  const deploy = buildPlan(c);
  return { ...deploy, phases: [...etcd, renew, ...deploy.phases.filter((p) => p.name === 'verify')] };
}

export function buildActionPlan(c: Cluster, ref: ActionRef = { action: 'deploy' }): Plan {
  if (ref.action === 'reset') return buildResetPlan(c, ref.wipeEtcd);
  if (ref.action === 'renew-certs') return buildRenewPlan(c, ref);
  if (ref.action === 'apply') return buildApplyPlan(ref.previous, c);
  return buildPlan(c);
}
