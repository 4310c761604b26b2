/** Who does what in a cluster: pure helpers over a validated spec, shared by planner and workflows. */
import type { Cluster, HostSpec } from './types';

export const isControlPlane = (h: HostSpec): boolean => h.roles.includes('control-plane');
export const isWorker = (h: HostSpec): boolean => h.roles.includes('worker');

// Planning asks these per host; a 5,000-host spec must not be filtered 5,000 times. Keyed by
// the hosts array itself, so a copy with other hosts (verify without skipped hosts) is its own.
const byRole = new WeakMap<readonly HostSpec[], Map<string, HostSpec[]>>();
function memo(c: Cluster, role: string, pick: (h: HostSpec) => boolean): HostSpec[] {
  let m = byRole.get(c.spec.hosts);
  if (!m) byRole.set(c.spec.hosts, (m = new Map()));
  let hit = m.get(role);
  if (!hit) m.set(role, (hit = c.spec.hosts.filter(pick)));
  // A copy: callers may sort or splice what they get.
  return hit.slice();
}

/** Control planes in file order; the first is master0, the one `kubeadm init` runs on. */
export function controlPlanes(c: Cluster): HostSpec[] {
  return memo(c, 'control-plane', isControlPlane);
}

export function master0(c: Cluster): HostSpec {
  const m = c.spec.hosts.find(isControlPlane);
  if (!m) throw new Error('spec has no control-plane host');
  return m;
}

export function workers(c: Cluster): HostSpec[] {
  return memo(c, 'worker', isWorker);
}

/** Hosts that become Kubernetes nodes (an external etcd-only host does not). */
export function nodes(c: Cluster): HostSpec[] {
  return memo(c, 'node', (h) => isControlPlane(h) || isWorker(h));
}

/** Members of the etcd cluster: every control plane when stacked, the etcd-role hosts when external. */
const ETCD_MEMBERS: Record<Cluster['spec']['etcd']['topology'], (c: Cluster) => HostSpec[]> = {
  stacked: controlPlanes,
  external: (c) => c.spec.hosts.filter((h) => h.roles.includes('etcd')),
};

export function etcdHosts(c: Cluster): HostSpec[] {
  return ETCD_MEMBERS[c.spec.etcd.topology](c);
}

export function hostByName(c: Cluster, name: string): HostSpec {
  const h = c.spec.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no host named ${name} in cluster ${c.metadata.name}`);
  return h;
}

/** The host part clients dial: loopback (nginx on every node), the VIP, or the external LB. */
const ENDPOINT_HOST: Record<Cluster['spec']['loadBalancer']['type'], (lb: Cluster['spec']['loadBalancer']) => string> = {
  'local-proxy': () => '127.0.0.1',
  vip: (lb) => lb.vip ?? '',
  external: (lb) => lb.address ?? '',
};

export function endpointHost(c: Cluster): string {
  return ENDPOINT_HOST[c.spec.loadBalancer.type](c.spec.loadBalancer);
}

/** `host:port` for kubeadm's controlPlaneEndpoint and every join. */
export function controlPlaneEndpoint(c: Cluster): string {
  return `${endpointHost(c)}:${c.spec.loadBalancer.port}`;
}

/** Majority size for n etcd members. */
export function quorum(n: number): number {
  return Math.floor(n / 2) + 1;
}
