/**
 * prep: every host gets what kubeadm expects before it runs (the host-preparation runbook steps, and the
 * warnings). Hosts are independent here, so they are prepared in parallel.
 */
import { MODULES_FILE, SYSCTL_FILE } from '../render/paths';
import { etcdDriver } from '../drivers/etcd';
import { lbDriver } from '../drivers/lb';
import {
  KUBE_PACKAGES,
  renderContainerdScript,
  renderKubeletScript,
  renderModulesLoad,
  renderPackagesScript,
  renderSysctlConf,
  type PackageNeed,
} from '../render/system';
import { isControlPlane, isWorker } from '../spec/topology';
import type { Cluster, HostSpec } from '../spec/types';
import type { PlannedStep } from '../plan/types';
import { cmd, file, runScript, script, step, tolerant } from './step';
import type { PhaseModule } from './types';

/** Package downloads from a slow mirror. */
const PACKAGES_TIMEOUT_SECONDS = 1800;

function packagesFor(c: Cluster, h: HostSpec): PackageNeed[] {
  const isNode = isControlPlane(h) || isWorker(h);
  const needs: PackageNeed[] = [];
  if (isNode) needs.push(...KUBE_PACKAGES);
  needs.push(...etcdDriver(c).packages(c, h), ...lbDriver(c).packages(c, h));
  return needs;
}

export function prepSteps(c: Cluster, h: HostSpec): PlannedStep[] {
  const s = c.spec;
  const isNode = isControlPlane(h) || isWorker(h);
  const out: PlannedStep[] = [];
  const needs = packagesFor(c, h);
  if (s.system.installPackages && needs.length) {
    out.push(
      step('prep', h.name, 'packages', `install missing packages (${[...new Set(needs.map((n) => n.binary))].join(', ')})`, {
        files: [script('packages', renderPackagesScript(c, needs))],
        // apt/dnf must not die with the SSH session midway (a half-configured dpkg).
        commands: [{ ...runScript('packages'), long: true }],
        timeoutSeconds: PACKAGES_TIMEOUT_SECONDS,
      }),
    );
  }
  if (isNode) {
    out.push(
      step('prep', h.name, 'kernel', 'kernel modules (ipvs, br_netfilter) and sysctls', {
        files: [file(MODULES_FILE, renderModulesLoad(c)), file(SYSCTL_FILE, renderSysctlConf(c))],
        commands: [cmd('modprobe', '-a', ...s.system.kernelModules), cmd('sysctl', '--system')],
      }),
    );
    if (s.system.swap === 'off') {
      out.push(
        step('prep', h.name, 'swap', 'swap off now and at boot (fstab swap lines commented out)', {
          commands: [cmd('swapoff', '-a'), cmd('sed', '-i', '/^[^#].*[[:space:]]swap[[:space:]]/ s/^/#/', '/etc/fstab')],
        }),
      );
    }
    out.push(
      step('prep', h.name, 'containerd', `containerd running with the ${s.kubelet.cgroupDriver} cgroup driver`, {
        files: [script('containerd', renderContainerdScript(c))],
        commands: [runScript('containerd')],
      }),
      step('prep', h.name, 'kubelet', 'kubelet enabled (kubeadm drop-in written if the package lacks one)', {
        files: [script('kubelet', renderKubeletScript())],
        commands: [runScript('kubelet')],
      }),
    );
  }
  const facts = [cmd('uname', '-srm'), cmd('hostname')];
  if (isNode) facts.push(cmd('kubeadm', 'version', '-o', 'short'), tolerant([0, 1], 'test', '-f', '/sys/fs/cgroup/cgroup.controllers'));
  if (needs.some((n) => n.binary === 'etcd')) facts.push(cmd('etcd', '--version'));
  out.push(step('prep', h.name, 'facts', 'record facts: kernel, hostname, versions, cgroup v2', { commands: facts }));
  return out;
}

export const prep: PhaseModule = {
  name: 'prep',
  title: 'prepare hosts: packages, kernel modules, sysctls, swap, containerd, kubelet',
  skipReason: () => undefined,
  hosts: (c) => c.spec.hosts.map((h) => h.name),
  run: { kind: 'host', secrets: [] },
  concurrency: (c) => Math.min(c.spec.workers.concurrency, c.spec.hosts.length),
  steps: (c) => c.spec.hosts.flatMap((h) => prepSteps(c, h)),
};
