/**
 * apply's removals, before the new spec's own phases run: every leaving node drained on
 * master0 (evictions respect PodDisruptionBudgets, bounded by a timeout), then every backend
 * list that stays rewritten without the leaving control planes (reloaded in place), then each
 * leaving control plane's etcd member removed (one at a time, each behind a health gate:
 * master0 ready, the staying members' quorum), then the leaving hosts reset and their load
 * balancing taken off, then their Node objects deleted. master0 here is the new spec's: the
 * old one may be leaving, and the new one must be healthy for it to go.
 */
import { etcdDriver } from '../drivers/etcd';
import { lbDriver } from '../drivers/lb';
import type { PhaseRun, PlannedStep } from '../plan/types';
import type { SpecDiff } from '../plan/diff';
import { deleteNodeArgv, renderNodeResetScript } from '../render/reset';
import { renderDrainScript } from '../render/drain';
import { renderRemovalGateScript } from '../render/removal-gate';
import { master0 } from '../spec/topology';
import type { Cluster, HostSpec } from '../spec/types';
import { cmd, runScript, script, step } from './step';

export const DRAIN_TIMEOUT_SECONDS = 300;

const HOSTS: PhaseRun = { kind: 'host', secrets: [] };

export interface RemovalPhase {
  name: 'drain' | 'remove-backends' | 'remove-members' | 'remove-hosts' | 'forget-nodes';
  title: string;
  steps: PlannedStep[];
  run: PhaseRun;
  skipReason?: string;
}

/** `prev`: the last applied spec, whose hosts are the ones that have a load balancer set up. */
export function removalPhases(next: Cluster, d: SpecDiff, prev: Cluster = next): RemovalPhase[] {
  const m0 = master0(next);
  const leaving: HostSpec[] = [...d.removedWorkers, ...d.removedMasters];
  const none = leaving.length === 0 ? 'no host leaves the cluster' : undefined;
  const driver = etcdDriver(next);
  const members = d.removedMasters.flatMap((h) => {
    const remove = driver.memberRemovalSteps(next, h, m0, 'remove-members', `etcd-member-${h.name}`, `remove ${h.name}'s etcd member (by name or peer URL), before its host is reset`);
    if (remove.length === 0 || !driver.localMemberCerts) return remove;
    const gate = step('remove-members', m0.name, `etcd-gate-${h.name}`, `health gate: ${m0.name}'s apiserver ready, the staying etcd members healthy enough for quorum without ${h.name}`, {
      files: [script(`etcd-gate-${h.name}`, renderRemovalGateScript(next, m0, h, driver.localMemberCerts))],
      commands: [runScript(`etcd-gate-${h.name}`)],
    });
    return [gate, ...remove];
  });
  const lb = lbDriver(next);
  const lbSkip = lb.skipReason(next);
  const had = new Set(lbDriver(prev).skipReason(prev) === undefined ? lbDriver(prev).holders(prev).map((h) => h.name) : []);
  const leavingNames = new Set(leaving.map((h) => h.name));
  // Only holders that already run the proxy: a new one gets its whole setup in the lb phase.
  const staying = lbSkip === undefined ? lb.holders(next).filter((h) => had.has(h.name) && !leavingNames.has(h.name)) : [];
  const backends = d.removedMasters.length
    ? staying.map((h) => lb.backendsStep(next, h, 'remove-backends', 'backends', `${lb.proxy} backends without ${d.removedMasters.map((m) => m.name).join(', ')}, reloaded in place`))
    : [];
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
      name: 'remove-backends',
      title: 'rewrite every staying backend list without the leaving control planes',
      run: HOSTS,
      skipReason: backends.length ? undefined : d.removedMasters.length ? (lbSkip ?? 'no staying host keeps a backend list') : 'no control plane leaves',
      steps: backends,
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
      steps: leaving.flatMap((h) => {
        const cp = d.removedMasters.includes(h);
        const reset = step('remove-hosts', h.name, 'reset', `kubeadm reset -f, kubelet stopped, /etc/kubernetes and /var/lib/kubelet removed`, {
          files: [script('node-reset', renderNodeResetScript(driver.resetArgv(), cp ? driver.resetDataDir(next) : undefined))],
          commands: [runScript('node-reset')],
        });
        // The load balancing goes first, while the kubelet still runs to stop its pods.
        return had.has(h.name) ? [lbDriver(prev).teardownStep(prev, h, 'remove-hosts'), reset] : [reset];
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
