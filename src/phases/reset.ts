/**
 * The reset action: the build undone in reverse (the stacked runbook's cleanup, backwards):
 * workers, then control planes (master0 last, so each stacked member leaves a cluster that
 * still has quorum), then the load balancer with the VIP, then external etcd's data, and that
 * only when asked. Every step works on a host in any state a deploy can leave.
 */
import { etcdDriver } from '../drivers/etcd';
import { lbDriver } from '../drivers/lb';
import type { PhaseRun } from '../plan/types';
import { renderNodeResetScript } from '../render/reset';
import { controlPlanes, workers } from '../spec/topology';
import type { Cluster, HostSpec } from '../spec/types';
import { runScript, script, step } from './step';
import type { PhaseModule } from './types';

export interface ResetOptions {
  /** Also stop the external etcd cluster and delete its data. */
  wipeEtcd: boolean;
}

const HOSTS: PhaseRun = { kind: 'host', secrets: [] };

function nodeReset(c: Cluster, h: HostSpec, phase: 'reset-workers' | 'reset-masters', controlPlane: boolean) {
  const d = etcdDriver(c);
  return step(phase, h.name, 'reset', `kubeadm reset -f, kubelet stopped, /etc/kubernetes and /var/lib/kubelet removed${controlPlane && d.resetDataDir(c) ? `, etcd data ${d.resetDataDir(c)}` : ''}`, {
    files: [script('node-reset', renderNodeResetScript(d.resetArgv(), controlPlane ? d.resetDataDir(c) : undefined))],
    commands: [runScript('node-reset')],
  });
}

export function resetModules(o: ResetOptions): PhaseModule[] {
  return [
    {
      name: 'reset-workers',
      title: 'reset the workers',
      skipReason: (c) => (workers(c).length === 0 ? 'no host has the worker role' : undefined),
      hosts: (c) => workers(c).map((h) => h.name),
      concurrency: (c) => Math.max(1, Math.min(c.spec.workers.concurrency, workers(c).length)),
      steps: (c) => workers(c).map((h) => nodeReset(c, h, 'reset-workers', false)),
      run: HOSTS,
    },
    {
      name: 'reset-masters',
      title: 'reset the control planes, master0 last',
      skipReason: () => undefined,
      hosts: (c) => [...controlPlanes(c)].reverse().map((h) => h.name),
      concurrency: () => 1,
      steps: (c) => [...controlPlanes(c)].reverse().map((h) => nodeReset(c, h, 'reset-masters', true)),
      run: HOSTS,
    },
    {
      name: 'reset-lb',
      title: 'remove the apiserver load balancing',
      skipReason: (c) => lbDriver(c).skipReason(c),
      hosts: (c) => lbDriver(c).holders(c).map((h) => h.name),
      concurrency: (c) => Math.max(1, Math.min(c.spec.workers.concurrency, lbDriver(c).holders(c).length)),
      steps: (c) => lbDriver(c).holders(c).map((h) => lbDriver(c).teardownStep(c, h, 'reset-lb')),
      run: HOSTS,
    },
    {
      name: 'reset-etcd',
      title: 'stop the external etcd cluster and delete its data',
      skipReason: (c) => etcdDriver(c).wipeSkipReason(c, o.wipeEtcd),
      hosts: (c) => [...new Set(etcdDriver(c).wipeSteps(c, 'reset-etcd').map((s) => s.host))],
      concurrency: (c) => Math.max(1, etcdDriver(c).wipeSteps(c, 'reset-etcd').length),
      steps: (c) => etcdDriver(c).wipeSteps(c, 'reset-etcd'),
      run: HOSTS,
    },
  ];
}
