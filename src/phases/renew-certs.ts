/**
 * Certificate renewal, one control plane at a time: `kubeadm certs renew all`, then each
 * static pod restarted until it serves the renewed certificate, then a health gate (this host's
 * /readyz, etcd quorum, controller-manager and scheduler leases) before the runner moves on.
 * Without --force a control plane whose certificates all outlive the threshold is skipped by
 * the renewal step's check, which prints why.
 */
import { etcdDriver } from '../drivers/etcd';
import { etcdClientUrls } from '../render/etcd';
import { renderCertGateScript, renderRenewDueScript, renderRestartScript, renderServedCurrentScript } from '../render/certs';
import { controlPlanes, etcdHosts, quorum } from '../spec/topology';
import type { Cluster, HostSpec } from '../spec/types';
import type { PhaseRun, PlannedStep } from '../plan/types';
import { longCmd, runScript, script, scriptPath, step } from './step';
import type { RenewOptions } from './renew-options';

export type { RenewOptions } from './renew-options';

export const RENEW_RUN: PhaseRun = { kind: 'child', child: 'renewMaster', secrets: [], gate: 'control-plane', then: 'fetchKubeconfig' };

/** The static pods that load kubeadm's certificates, in restart order (etcd first: the apiserver reads through it). */
export function renewedComponents(c: Cluster): string[] {
  return [...etcdDriver(c).controlPlaneManifests, 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];
}

export function renewSteps(c: Cluster, h: HostSpec, o: RenewOptions): PlannedStep[] {
  const port = String(c.spec.loadBalancer.apiserverBindPort);
  const components = renewedComponents(c);
  const etcdAt = components.includes('etcd') ? `${h.address}:2379` : '';
  const target = [h.name, `${h.address}:${port}`, etcdAt, ...components];
  const certs = etcdDriver(c).clientCerts;
  return [
    step('renew-certs', h.name, 'renew', `kubeadm certs renew all${o.force ? ' (--force)' : ` if anything expires within ${o.renewBeforeSeconds} s`}`, {
      files: [script('cert-renew-due', renderRenewDueScript())],
      ...(o.force ? {} : { check: runScript('cert-renew-due', String(o.renewBeforeSeconds)) }),
      commands: [longCmd('kubeadm', 'certs', 'renew', 'all')],
      timeoutSeconds: 300,
    }),
    step('renew-certs', h.name, 'restart', `restart ${components.join(', ')} one by one until each serves its renewed certificate`, {
      files: [script('cert-served-current', renderServedCurrentScript()), script('cert-restart', renderRestartScript())],
      check: runScript('cert-served-current', ...target),
      commands: [longCmd('sh', scriptPath('cert-restart'), ...target)],
      timeoutSeconds: 240 * components.length + 60,
    }),
    step('renew-certs', h.name, 'health', `health gate: /readyz on ${h.name}, etcd quorum, controller-manager and scheduler leases`, {
      files: [script('cert-gate', renderCertGateScript())],
      commands: [runScript('cert-gate', `${h.address}:${port}`, etcdClientUrls(c), certs.ca, certs.cert, certs.key, String(quorum(etcdHosts(c).length)))],
      timeoutSeconds: 180,
    }),
  ];
}

export function renewHosts(c: Cluster): string[] {
  return controlPlanes(c).map((h) => h.name);
}

export function renewAllSteps(c: Cluster, o: RenewOptions): PlannedStep[] {
  return controlPlanes(c).flatMap((h) => renewSteps(c, h, o));
}
