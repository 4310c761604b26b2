/**
 * cleanup: remove what was only needed while building. Transient secret files the plan wrote,
 * the other members' etcd keys kept on the first member, and the uploaded control-plane
 * certificates (kubeadm-certs secret) once every master has joined.
 */
import type { PlannedFile, PlannedStep } from '../plan/types';
import { etcdDriver } from '../drivers/etcd';
import { master0 } from '../spec/topology';
import type { Cluster } from '../spec/types';
import { cmd, kubectl, step } from './step';
import type { PhaseModule } from './types';

/** Files marked transient in the steps of other phases, per host. */
function transientFiles(steps: PlannedStep[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of steps) {
    for (const f of s.files as PlannedFile[]) {
      if (!f.transient) continue;
      const list = out.get(s.host) ?? [];
      if (!list.includes(f.path)) list.push(f.path);
      out.set(s.host, list);
    }
  }
  return out;
}

/** `earlier`: the steps of every phase before cleanup (their transient files are removed). */
export function cleanupSteps(c: Cluster, earlier: PlannedStep[] = []): PlannedStep[] {
  const steps: PlannedStep[] = [];
  for (const [host, paths] of transientFiles(earlier)) {
    steps.push(step('cleanup', host, 'transient-files', `remove transient secret files (${paths.length})`, { commands: [cmd('rm', '-f', ...paths)] }));
  }
  steps.push(...etcdDriver(c).cleanupSteps(c));
  steps.push(
    step('cleanup', master0(c).name, 'uploaded-certs', 'delete the uploaded control-plane certificates (kubeadm-certs secret)', {
      commands: [kubectl('-n', 'kube-system', 'delete', 'secret', 'kubeadm-certs', '--ignore-not-found')],
    }),
  );
  return steps;
}

export const cleanup: PhaseModule = {
  name: 'cleanup',
  title: 'remove transient secrets',
  skipReason: () => undefined,
  hosts: (c) => [...new Set(cleanupSteps(c).map((s) => s.host))],
  run: { kind: 'host', secrets: [], onAbort: true },
  concurrency: () => 1,
  steps: (c) => cleanupSteps(c),
};
