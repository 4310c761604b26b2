/**
 * join-masters and join-workers. Masters join one at a time in file order (each stacked join
 * grows etcd, and two members losing one loses quorum); workers join in
 * bounded parallel. Secrets come as runtime values, filled into a 0600 JoinConfiguration that
 * exists only while the join runs: never on argv, where the host's process list would show them.
 */
import { ignorePreflightFlag, kubeadmStepTimeoutSeconds, renderJoinConfig } from '../render/kubeadm';
import { renderJoinDoneScript, renderJoinGuardScript } from '../render/done';
import { KUBEADM_JOIN_CONFIG } from '../render/paths';
import { etcdDriver } from '../drivers/etcd';
import { controlPlanes, workers } from '../spec/topology';
import type { Cluster, HostSpec } from '../spec/types';
import type { PlannedFile, PlannedStep } from '../plan/types';
import { controlPlaneFiles, kubeconfigStep } from './init';
import { file, kubectl, longCmd, runScript, script, step, tolerant } from './step';
import type { PhaseModule } from './types';

export function masterJoinArgv(c: Cluster, _h?: HostSpec): string[] {
  return ['kubeadm', 'join', '--config', KUBEADM_JOIN_CONFIG, ...ignorePreflightFlag(c, 'join-master')];
}

export function workerJoinArgv(c: Cluster, _h?: HostSpec): string[] {
  return ['kubeadm', 'join', '--config', KUBEADM_JOIN_CONFIG, ...ignorePreflightFlag(c, 'join-worker')];
}

/** The join's secrets file: filled on the worker at write time, removed after the join. */
function joinConfigFile(c: Cluster, h: HostSpec, controlPlane: boolean): PlannedFile {
  return file(KUBEADM_JOIN_CONFIG, renderJoinConfig(c, h, controlPlane), '0600', { runtime: true });
}

/** "master 2 of 3, one at a time, quorum 2/2 after": what the operator must know before it runs. */
export function masterPosition(c: Cluster, h: HostSpec): string {
  const cps = controlPlanes(c);
  const i = cps.findIndex((x) => x.name === h.name) + 1;
  return `master ${i} of ${cps.length}, one at a time, ${etcdDriver(c).joinNote(c, i)}`;
}

/** The done check and the guard against joining over a half-done join (render/done.ts). */
export function joinFiles(c: Cluster, h: HostSpec, controlPlane: boolean): PlannedFile[] {
  const d = etcdDriver(c);
  const done = renderJoinDoneScript(h, {
    controlPlane,
    manifests: controlPlane ? ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', ...d.controlPlaneManifests] : [],
    etcd: controlPlane ? d.localMemberCerts : undefined,
  });
  return [script('join-done', done), script('join-guard', renderJoinGuardScript(h))];
}

function masterSteps(c: Cluster, h: HostSpec): PlannedStep[] {
  const steps = [
    step('join-masters', h.name, 'kubeadm-join', `kubeadm join --control-plane (${masterPosition(c, h)})`, {
      files: [...controlPlaneFiles(c), ...joinFiles(c, h, true), joinConfigFile(c, h, true)],
      check: runScript('join-done'),
      commands: [runScript('join-guard'), longCmd(...masterJoinArgv(c, h))],
      timeoutSeconds: kubeadmStepTimeoutSeconds('join-master'),
    }),
    kubeconfigStep('join-masters', h),
  ];
  if (c.spec.controlPlane.untaint) {
    steps.push(
      step('join-masters', h.name, 'untaint', 'allow ordinary pods on this control plane (remove the control-plane taint)', {
        // Exit 1 when the taint is already gone: that is the goal, not a failure.
        commands: [tolerant([0, 1], ...kubectlArgv('taint', 'node', h.name, 'node-role.kubernetes.io/control-plane:NoSchedule-'))],
      }),
    );
  }
  return steps;
}

const kubectlArgv = (...args: string[]) => kubectl(...args).argv;

export const joinMasters: PhaseModule = {
  name: 'join-masters',
  title: 'other control planes join, one at a time',
  skipReason: (c) => (controlPlanes(c).length < 2 ? 'a single control plane: nothing to join (not highly available)' : undefined),
  hosts: (c) => controlPlanes(c).slice(1).map((h) => h.name),
  concurrency: () => 1,
  // Each stacked join grows etcd: the next one starts only once quorum and both apiservers answer.
  run: { kind: 'child', child: 'joinMaster', secrets: ['joinToken', 'caCertHash', 'certificateKey'], undo: 'compensateMaster', gate: 'control-plane', redoAfterUndo: 'lb' },
  steps: (c) => controlPlanes(c).slice(1).flatMap((h) => masterSteps(c, h)),
};

export function workerConcurrency(c: Cluster): number {
  return Math.max(1, Math.min(c.spec.workers.concurrency, workers(c).length));
}

export const joinWorkers: PhaseModule = {
  name: 'join-workers',
  title: 'workers join',
  skipReason: (c) => (workers(c).length === 0 ? 'no host has the worker role' : undefined),
  hosts: (c) => workers(c).map((h) => h.name),
  concurrency: workerConcurrency,
  // Least privilege: a worker join never receives the certificate key.
  run: { kind: 'child', child: 'joinWorker', secrets: ['joinToken', 'caCertHash'], undo: 'compensateWorker', skippable: true },
  steps: (c) => {
    // Counted once: per worker they made planning quadratic in the host count.
    const all = workers(c);
    const atOnce = workerConcurrency(c);
    return all.map((h, i) =>
      step('join-workers', h.name, 'kubeadm-join', `kubeadm join (worker ${i + 1} of ${all.length}, up to ${atOnce} at a time)`, {
        files: [...joinFiles(c, h, false), joinConfigFile(c, h, false)],
        check: runScript('join-done'),
        commands: [runScript('join-guard'), longCmd(...workerJoinArgv(c, h))],
        timeoutSeconds: kubeadmStepTimeoutSeconds('join-worker'),
      }),
    );
  },
};
