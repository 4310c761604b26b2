/** Who does what in a cluster: pure helpers over a validated spec, shared by planner and workflows. */
import type { Cluster, HostSpec } from './types';

export const isControlPlane = (h: HostSpec): boolean => h.roles.includes('control-plane');
export const isWorker = (h: HostSpec): boolean => h.roles.includes('worker');

/** Control planes in file order; the first is master0, the one `kubeadm init` runs on. */
export function controlPlanes(c: Cluster): HostSpec[] {
  return c.spec.hosts.filter(isControlPlane);
}

export function master0(c: Cluster): HostSpec {
  const m = controlPlanes(c)[0];
  if (!m) throw new Error('spec has no control-plane host');
  return m;
}

export function workers(c: Cluster): HostSpec[] {
  return c.spec.hosts.filter(isWorker);
}

/** Hosts that become Kubernetes nodes (an external etcd-only host does not). */
export function nodes(c: Cluster): HostSpec[] {
  return c.spec.hosts.filter((h) => isControlPlane(h) || isWorker(h));
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
