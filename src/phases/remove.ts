/**
 * apply's removals, before the new spec's own phases run: every leaving node drained on
 * master0 (evictions respect PodDisruptionBudgets, bounded by a timeout), then each leaving
 * control plane's etcd member removed (one at a time), then the
 * leaving hosts reset, then their Node objects deleted. The backends are rewritten by the new
 * spec's lb phase, which follows. master0 here is the new spec's: the old one may be leaving.
 */
import { etcdDriver } from '../drivers/etcd';
import type { PhaseRun, PlannedStep } from '../plan/types';
import type { SpecDiff } from '../plan/diff';
import { deleteNodeArgv, renderNodeResetScript } from '../render/reset';
import { renderDrainScript } from '../render/drain';
import { master0 } from '../spec/topology';
import type { Cluster, HostSpec } from '../spec/types';
import { cmd, runScript, script, step } from './step';

export const DRAIN_TIMEOUT_SECONDS = 300;

const HOSTS: PhaseRun = { kind: 'host', secrets: [] };

export interface RemovalPhase {
  name: 'drain' | 'remove-members' | 'remove-hosts' | 'forget-nodes';
  title: string;
  steps: PlannedStep[];
  run: PhaseRun;
  skipReason?: string;
}

export function removalPhases(next: Cluster, d: SpecDiff): RemovalPhase[] {
  const m0 = master0(next);
  const leaving: HostSpec[] = [...d.removedWorkers, ...d.removedMasters];
  const none = leaving.length === 0 ? 'no host leaves the cluster' : undefined;
  const members = d.removedMasters.flatMap((h) =>
    etcdDriver(next).memberRemovalSteps(next, h, m0, 'remove-members', `etcd-member-${h.name}`, `remove ${h.name}'s etcd member (by name or peer URL), before its host is reset`),
  );
  const driver = etcdDriver(next);
  return [
    {
      name: 'drain',
      title: 'drain the leaving nodes',
      run: HOSTS,
      skipReason: none,
      steps: leaving.map((h) =>
        step('drain', m0.name, `drain-${h.name}`, `drain ${h.name} (PodDisruptionBudgets respected, at most ${DRAIN_TIMEOUT_SECONDS} s)`, {
          files: [script(`drain-${h.name}`, renderDrainScript(h.name, DRAIN_TIMEOUT_SECONDS))],
          commands: [runScript(`drain-${h.name}`)],
        }),
      ),
    },
    {
      name: 'remove-members',
      title: "remove the leaving control planes' etcd members, one at a time",
      run: HOSTS,
      skipReason: members.length ? undefined : d.removedMasters.length ? 'etcd is not on the control planes: no member to remove' : 'no control plane leaves',
      steps: members,
    },
    {
      name: 'remove-hosts',
      title: 'reset the leaving hosts',
      run: HOSTS,
      skipReason: none,
      steps: leaving.map((h) => {
        const cp = d.removedMasters.includes(h);
        return step('remove-hosts', h.name, 'reset', `kubeadm reset -f, kubelet stopped, /etc/kubernetes and /var/lib/kubelet removed`, {
          files: [script('node-reset', renderNodeResetScript(driver.resetArgv(), cp ? driver.resetDataDir(next) : undefined))],
          commands: [runScript('node-reset')],
        });
      }),
    },
    {
      name: 'forget-nodes',
      title: 'delete the leaving Node objects',
      run: HOSTS,
      skipReason: none,
      steps: leaving.map((h) => step('forget-nodes', m0.name, `delete-${h.name}`, `kubectl delete node ${h.name}`, { commands: [cmd(...deleteNodeArgv(h))] })),
    },
  ];
}
