/**
 * join-masters and join-workers. Masters join one at a time in file order (each stacked join
 * grows etcd, and two members losing one loses quorum: seed 000's warning); workers join in
 * bounded parallel. Secrets come as runtime values, substituted on the host side.
 */
import { ignorePreflightFlag } from '../render/kubeadm';
import { renderJoinDoneScript, renderJoinGuardScript } from '../render/done';
import { etcdDriver } from '../drivers/etcd';
import { controlPlanes, controlPlaneEndpoint, workers } from '../spec/topology';
import type { Cluster, HostSpec } from '../spec/types';
import type { PlannedFile, PlannedStep } from '../plan/types';
import { controlPlaneFiles, kubeconfigStep } from './init';
import { kubectl, longCmd, runScript, script, step, tolerant } from './step';
import type { PhaseModule } from './types';

const joinBase = (c: Cluster) => ['kubeadm', 'join', controlPlaneEndpoint(c), '--token', '{{joinToken}}', '--discovery-token-ca-cert-hash', '{{caCertHash}}'];

export function masterJoinArgv(c: Cluster, h: HostSpec): string[] {
  return [
    ...joinBase(c),
    '--control-plane',
    '--certificate-key',
    '{{certificateKey}}',
    '--apiserver-advertise-address',
    h.address,
    '--apiserver-bind-port',
    String(c.spec.loadBalancer.apiserverBindPort),
    '--node-name',
    h.name,
    ...ignorePreflightFlag(c, 'join-master'),
  ];
}

export function workerJoinArgv(c: Cluster, h: HostSpec): string[] {
  return [...joinBase(c), '--node-name', h.name, ...ignorePreflightFlag(c, 'join-worker')];
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
      files: [...controlPlaneFiles(c), ...joinFiles(c, h, true)],
      check: runScript('join-done'),
      commands: [runScript('join-guard'), longCmd(...masterJoinArgv(c, h))],
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
  steps: (c) =>
    workers(c).map((h, i) =>
      step('join-workers', h.name, 'kubeadm-join', `kubeadm join (worker ${i + 1} of ${workers(c).length}, up to ${workerConcurrency(c)} at a time)`, {
        files: joinFiles(c, h, false),
        check: runScript('join-done'),
        commands: [runScript('join-guard'), longCmd(...workerJoinArgv(c, h))],
      }),
    ),
};
