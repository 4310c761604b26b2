/** init: `kubeadm init` on master0 with the rendered config, its kubeconfig, then the CNI. */
import { ignorePreflightFlag, kubeadmStepTimeoutSeconds, renderAuditPolicy, renderKubeadmConfig } from '../render/kubeadm';
import { renderFlannelManifest } from '../render/flannel';
import { renderInitDoneScript, renderInitScript } from '../render/done';
import { ADMIN_CONF, AUDIT_POLICY, FLANNEL_MANIFEST, KUBEADM_CONFIG } from '../render/paths';
import { etcdDriver } from '../drivers/etcd';
import { controlPlaneEndpoint, master0 } from '../spec/topology';
import type { Cluster, HostSpec } from '../spec/types';
import type { PlannedFile, PlannedStep } from '../plan/types';
import { cmd, file, kubectl, longCmd, runScript, script, scriptPath, step } from './step';
import type { PhaseModule } from './types';

/** Files every control plane needs before kubeadm runs there (the audit policy the apiserver's flags name). */
export function controlPlaneFiles(c: Cluster): PlannedFile[] {
  return c.spec.apiServer.audit.enabled ? [file(AUDIT_POLICY, renderAuditPolicy(c))] : [];
}

/** admin.conf for root's kubectl on a control plane. */
export function kubeconfigStep(phase: 'init' | 'join-masters', h: HostSpec): PlannedStep {
  return step(phase, h.name, 'kubeconfig', 'kubectl config for root (/root/.kube/config from admin.conf)', {
    commands: [cmd('mkdir', '-p', '/root/.kube'), cmd('install', '-m', '0600', ADMIN_CONF, '/root/.kube/config')],
  });
}

/** The one `kubeadm init` (the script runs it only on a host kubeadm has not touched). */
export const initArgv = (c: Cluster): string[] => ['kubeadm', 'init', '--config', KUBEADM_CONFIG, '--upload-certs', ...ignorePreflightFlag(c, 'init')];

function initSteps(c: Cluster): PlannedStep[] {
  const m0 = master0(c);
  const steps = [
    step('init', m0.name, 'kubeadm-init', `kubeadm init --upload-certs (endpoint ${controlPlaneEndpoint(c)}, ${c.spec.kubernetesVersion}, etcd ${c.spec.etcd.topology})`, {
      files: [
        file(KUBEADM_CONFIG, renderKubeadmConfig(c), '0600'),
        ...controlPlaneFiles(c),
        script('init-done', renderInitDoneScript(c, m0)),
        script('kubeadm-init', renderInitScript(c, m0, initArgv(c), etcdDriver(c).initPhases)),
      ],
      check: runScript('init-done'),
      commands: [longCmd('sh', scriptPath('kubeadm-init'))],
      timeoutSeconds: kubeadmStepTimeoutSeconds('init'),
    }),
    kubeconfigStep('init', m0),
  ];
  if (c.spec.cni.plugin === 'flannel') {
    steps.push(
      step('init', m0.name, 'cni', `CNI: flannel (${c.spec.cni.backend}, pods ${c.spec.networking.podSubnet})`, {
        files: [file(FLANNEL_MANIFEST, renderFlannelManifest(c))],
        commands: [kubectl('apply', '-f', FLANNEL_MANIFEST)],
      }),
    );
  }
  return steps;
}

export const init: PhaseModule = {
  name: 'init',
  title: 'first control plane (master0): kubeadm init, kubeconfig, CNI',
  skipReason: () => undefined,
  hosts: (c) => [master0(c).name],
  run: { kind: 'host', secrets: [], then: 'fetchKubeconfig' },
  concurrency: () => 1,
  steps: initSteps,
};
