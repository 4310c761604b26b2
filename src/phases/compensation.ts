/**
 * Undo a join that failed after its retries, touching only that node and the shared state it
 * left: never resets master0. Master join: reset the node and remove its files, then on master0
 * drop its stacked etcd member and its Node, then take it out of the other hosts' LB backends.
 * A retry reruns the lb phase (idempotent), which puts the backend back.
 */
import type { PlannedStep } from '../plan/types';
import { kubeadmStepTimeoutSeconds } from '../render/kubeadm';
import { deleteNodeArgv, renderEtcdMemberRemoveScript, renderJoinResetScript } from '../render/reset';
import { controlPlanes, hostByName, master0, nodes } from '../spec/topology';
import type { Cluster, HostSpec } from '../spec/types';
import { haproxyFiles, nginxStep } from './lb';
import { cmd, longCmd, runScript, script, step } from './step';

/**
 * kubeadm 1.34's reset falls back to the default etcd data dir (/var/lib/etcd) when it finds no
 * etcd manifest and cannot read the cluster's config, which is the case after a failed join:
 * on a host that is also an external etcd member it would wipe that member's data. kubeadm does
 * not own etcd under the external topology, so its etcd phase is skipped there.
 */
export function resetArgv(c: Cluster): string[] {
  return c.spec.etcd.topology === 'external' ? ['kubeadm', 'reset', '-f', '--skip-phases=remove-etcd-member'] : ['kubeadm', 'reset', '-f'];
}

function resetStep(c: Cluster, h: HostSpec, controlPlane: boolean): PlannedStep {
  return step('join-masters', h.name, 'compensate-reset', `compensate ${h.name}: kubeadm reset -f and remove what the join left`, {
    files: [script('join-reset', renderJoinResetScript(c, controlPlane))],
    commands: [longCmd(...resetArgv(c)), runScript('join-reset')],
    timeoutSeconds: kubeadmStepTimeoutSeconds('reset'),
  });
}

export function compensationSteps(c: Cluster, hostName: string): PlannedStep[] {
  const h = hostByName(c, hostName);
  const m0 = master0(c);
  if (h.name === m0.name) throw new Error(`refusing to compensate ${h.name}: it is master0`);
  if (!controlPlanes(c).some((x) => x.name === h.name)) throw new Error(`${h.name} is not a control plane; use workerCompensationSteps`);
  const steps: PlannedStep[] = [resetStep(c, h, true)];
  if (c.spec.etcd.topology === 'stacked') {
    steps.push(
      step('join-masters', m0.name, `compensate-etcd-${h.name}`, `compensate ${h.name}: remove its etcd member (by name or peer URL)`, {
        files: [script(`etcd-member-remove-${h.name}`, renderEtcdMemberRemoveScript(h))],
        commands: [runScript(`etcd-member-remove-${h.name}`)],
      }),
    );
  }
  steps.push(step('join-masters', m0.name, `compensate-node-${h.name}`, `compensate ${h.name}: kubectl delete node`, { commands: [cmd(...deleteNodeArgv(h))] }));
  const lb = c.spec.loadBalancer.type;
  if (lb === 'vip') {
    for (const other of controlPlanes(c).filter((x) => x.name !== h.name)) {
      steps.push(step('join-masters', other.name, `compensate-lb-${h.name}`, `compensate ${h.name}: haproxy backends without it`, { files: haproxyFiles(c, h.name) }));
    }
  } else if (lb === 'local-proxy') {
    for (const other of nodes(c).filter((x) => x.name !== h.name)) {
      const s = nginxStep(c, other, h.name);
      steps.push({ ...s, id: `join-masters/${other.name}/compensate-lb-${h.name}`, phase: 'join-masters', title: `compensate ${h.name}: nginx backends without it` });
    }
  }
  return steps;
}

export function workerCompensationSteps(c: Cluster, hostName: string): PlannedStep[] {
  const h = hostByName(c, hostName);
  if (controlPlanes(c).some((x) => x.name === h.name)) throw new Error(`${h.name} is a control plane; use compensationSteps`);
  const reset = resetStep(c, h, false);
  return [
    { ...reset, id: `join-workers/${h.name}/compensate-reset`, phase: 'join-workers' },
    step('join-workers', master0(c).name, `compensate-node-${h.name}`, `compensate ${h.name}: kubectl delete node`, { commands: [cmd(...deleteNodeArgv(h))] }),
  ];
}
