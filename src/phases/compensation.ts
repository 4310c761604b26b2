/**
 * Undo a join that failed after its retries, touching only that node and the shared state it
 * left: never resets master0. Master join: on master0 drop its etcd member (if the topology puts
 * one there), then reset the node and remove its files, then delete its Node through master0 and
 * take it out of the other hosts' LB backends. A retry reruns the lb phase (idempotent), which puts the backend back.
 */
import { etcdDriver } from '../drivers/etcd';
import { lbDriver } from '../drivers/lb';
import type { PhaseName, PlannedStep } from '../plan/types';
import { deleteNodeArgv, renderJoinResetScript } from '../render/reset';
import { controlPlanes, hostByName, master0 } from '../spec/topology';
import { kubeadmStepTimeoutSeconds } from '../render/kubeadm';
import type { Cluster, HostSpec } from '../spec/types';
import { cmd, longCmd, runScript, script, step } from './step';

/** `kubeadm reset` as this cluster's etcd topology needs it. */
export function resetArgv(c: Cluster): string[] {
  return etcdDriver(c).resetArgv();
}

export function resetStep(c: Cluster, h: HostSpec, controlPlane: boolean, phase: PhaseName = 'join-masters', slug = 'compensate-reset', title = `compensate ${h.name}: kubeadm reset -f and remove what the join left`): PlannedStep {
  return step(phase, h.name, slug, title, {
    files: [script('join-reset', renderJoinResetScript(controlPlane, etcdDriver(c).resetDataDir(c)))],
    commands: [longCmd(...resetArgv(c)), runScript('join-reset')],
    timeoutSeconds: kubeadmStepTimeoutSeconds('reset'),
  });
}

/** On every other backend holder: the backend list without `h`. */
export function backendsWithoutSteps(c: Cluster, h: HostSpec, phase: PhaseName, slugPrefix: string, titlePrefix: string): PlannedStep[] {
  const d = lbDriver(c);
  return d
    .holders(c)
    .filter((x) => x.name !== h.name)
    .map((other) => d.backendsStep(c, other, phase, `${slugPrefix}-${h.name}`, `${titlePrefix}: ${d.proxy} backends without it`, h.name));
}

export function compensationSteps(c: Cluster, hostName: string): PlannedStep[] {
  const h = hostByName(c, hostName);
  const m0 = master0(c);
  if (h.name === m0.name) throw new Error(`refusing to compensate ${h.name}: it is master0`);
  if (!controlPlanes(c).some((x) => x.name === h.name)) throw new Error(`${h.name} is not a control plane; use workerCompensationSteps`);
  // The member goes first, through master0, while the cluster still lists it: after a failed
  // join kubeadm reset may not manage to remove it (it cannot read the cluster's configuration),
  // and wiping the data of a member that is still listed can cost quorum, after which no member
  // can be removed at all.
  return [
    ...etcdDriver(c).memberRemovalSteps(c, h, m0, 'join-masters', `compensate-etcd-${h.name}`, `compensate ${h.name}: remove its etcd member (by name or peer URL)`),
    resetStep(c, h, true),
    step('join-masters', m0.name, `compensate-node-${h.name}`, `compensate ${h.name}: kubectl delete node`, { commands: [cmd(...deleteNodeArgv(h))] }),
    ...backendsWithoutSteps(c, h, 'join-masters', 'compensate-lb', `compensate ${h.name}`),
  ];
}

export function workerCompensationSteps(c: Cluster, hostName: string): PlannedStep[] {
  const h = hostByName(c, hostName);
  if (controlPlanes(c).some((x) => x.name === h.name)) throw new Error(`${h.name} is a control plane; use compensationSteps`);
  return [
    resetStep(c, h, false, 'join-workers'),
    step('join-workers', master0(c).name, `compensate-node-${h.name}`, `compensate ${h.name}: kubectl delete node`, { commands: [cmd(...deleteNodeArgv(h))] }),
  ];
}
