/**
 * What `hakube apply` would change: the last applied spec against the edited one. Pure: the
 * hosts to add and remove, the changes apply refuses (before any host is touched), the quorum
 * arithmetic for removed control planes, and which planned files change on which hosts.
 */
import { controlPlanes, etcdHosts, isControlPlane, isWorker, master0, quorum } from '../spec/topology';
import type { Cluster, HostSpec } from '../spec/types';
import type { Plan } from './types';

export interface SpecDiff {
  addedMasters: HostSpec[];
  addedWorkers: HostSpec[];
  removedMasters: HostSpec[];
  removedWorkers: HostSpec[];
  /** Changes apply cannot make, one line each (field, old, new, what to do instead). */
  refused: string[];
  /** master0 of the new spec, when it differs from the old one (the old one is removed). */
  newMaster0?: string;
}

const names = (hs: HostSpec[]) => hs.map((h) => h.name);

export function diffSpecs(prev: Cluster, next: Cluster): SpecDiff {
  const refused: string[] = [];
  const same = (field: string, a: unknown, b: unknown, why: string) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) refused.push(`${field} changed from ${JSON.stringify(a)} to ${JSON.stringify(b)}: ${why}`);
  };
  same('metadata.name', prev.metadata.name, next.metadata.name, 'a renamed cluster is another cluster; deploy it on its own');
  same('spec.etcd.topology', prev.spec.etcd.topology, next.spec.etcd.topology, 'etcd cannot move between stacked and external in place; build a new cluster and migrate');
  same('spec.networking.podSubnet', prev.spec.networking.podSubnet, next.spec.networking.podSubnet, 'every node and the CNI hold it; it cannot change in place');
  same('spec.networking.serviceSubnet', prev.spec.networking.serviceSubnet, next.spec.networking.serviceSubnet, 'the apiserver certificate and every Service hold it; it cannot change in place');
  same('spec.loadBalancer.type', prev.spec.loadBalancer.type, next.spec.loadBalancer.type, 'every kubeconfig points at the endpoint; it cannot change in place');
  if (prev.spec.etcd.topology === 'external') {
    same('etcd hosts', names(etcdHosts(prev)), names(etcdHosts(next)), 'adding or removing external etcd members is not done by apply; change the etcd cluster by hand');
  }
  const byName = (c: Cluster) => new Map(c.spec.hosts.map((h) => [h.name, h]));
  const before = byName(prev);
  const after = byName(next);
  for (const [name, h] of after) {
    const old = before.get(name);
    if (!old) continue;
    if (old.address !== h.address) refused.push(`spec.hosts ${name}: address changed from ${old.address} to ${h.address}; remove the host in one apply and add it under the new address in another`);
    if (isControlPlane(old) !== isControlPlane(h) || isWorker(old) !== isWorker(h)) {
      refused.push(`spec.hosts ${name}: roles changed from ${old.roles.join(',')} to ${h.roles.join(',')}; remove the host and add it again with its new roles`);
    }
  }
  const added = next.spec.hosts.filter((h) => !before.has(h.name));
  const removed = prev.spec.hosts.filter((h) => !after.has(h.name));
  const diff: SpecDiff = {
    addedMasters: added.filter(isControlPlane),
    addedWorkers: added.filter((h) => isWorker(h) && !isControlPlane(h)),
    removedMasters: removed.filter(isControlPlane),
    removedWorkers: removed.filter((h) => isWorker(h) && !isControlPlane(h)),
    refused,
  };
  const cpsAfter = controlPlanes(next);
  if (cpsAfter.length === 0) {
    refused.push('spec.hosts: no control plane would be left; use `hakube reset` to remove the whole cluster');
    return diff;
  }
  const m0 = master0(next);
  if (m0.name !== master0(prev).name) {
    if (!before.has(m0.name)) refused.push(`master0 would become ${m0.name}, which is not part of the cluster yet; list a control plane that is already joined first`);
    else diff.newMaster0 = m0.name;
  }
  // Quorum arithmetic: members leave one at a time, and never more than the old majority can spare.
  if (prev.spec.etcd.topology === 'stacked' && diff.removedMasters.length > 0) {
    const n = controlPlanes(prev).length;
    const r = diff.removedMasters.length;
    const left = n - r;
    if (left < quorum(n)) {
      refused.push(
        `removing ${r} of ${n} control planes (${names(diff.removedMasters).join(', ')}) leaves ${left} etcd member${left === 1 ? '' : 's'}, fewer than the quorum of ${quorum(n)} the ${n} members need: remove at most ${n - quorum(n)} per apply`,
      );
    }
  }
  return diff;
}

export interface FileChange {
  host: string;
  path: string;
  change: 'new' | 'changed';
}

/** Files the new spec's deploy plan writes that the old one did not, or writes differently. */
export function changedFiles(prev: Plan, next: Plan): FileChange[] {
  const key = (host: string, path: string) => `${host}\u0000${path}`;
  const old = new Map<string, string>();
  for (const p of prev.phases) for (const s of p.steps) for (const f of s.files) old.set(key(s.host, f.path), f.from ? `from ${f.from.host}:${f.from.path}` : f.content);
  const out: FileChange[] = [];
  const seen = new Set<string>();
  for (const p of next.phases) {
    for (const s of p.steps) {
      for (const f of s.files) {
        const k = key(s.host, f.path);
        if (seen.has(k)) continue;
        seen.add(k);
        const was = old.get(k);
        const now = f.from ? `from ${f.from.host}:${f.from.path}` : f.content;
        if (was === undefined) out.push({ host: s.host, path: f.path, change: 'new' });
        else if (was !== now) out.push({ host: s.host, path: f.path, change: 'changed' });
      }
    }
  }
  return out;
}

/** The difference as `hakube plan --action apply` and `hakube apply` print it. */
export function diffText(d: SpecDiff, files: FileChange[]): string {
  const lines: string[] = [];
  const list = (label: string, hs: HostSpec[]) => hs.length && lines.push(`${label}: ${names(hs).join(', ')}`);
  list('add control planes (one at a time, fresh credentials)', d.addedMasters);
  list('add workers', d.addedWorkers);
  list('remove workers (drain, delete, reset)', d.removedWorkers);
  list('remove control planes (etcd member first, then reset)', d.removedMasters);
  if (d.newMaster0) lines.push(`master0 becomes ${d.newMaster0}`);
  if (lines.length === 0) lines.push('no host to add or remove');
  const byHost = new Map<string, string[]>();
  for (const f of files) byHost.set(f.host, [...(byHost.get(f.host) ?? []), `${f.path} (${f.change})`]);
  if (byHost.size) {
    lines.push('files that change:');
    for (const [host, paths] of byHost) lines.push(`  ${host}: ${paths.join(', ')}`);
  }
  for (const r of d.refused) lines.push(`refused: ${r}`);
  return `${lines.join('\n')}\n`;
}
