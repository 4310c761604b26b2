/**
 * Rules that relate several fields of an otherwise well-formed spec. Each problem names the
 * field path, the bad value and the fix, so the operator can act on one line.
 */
import { cidrContains, cidrsOverlap, ipv4ToInt, parseCidr } from './net';
import { durationSeconds } from './fields';
import type { Cluster } from './types';

export type PathSegment = string | number;
export interface Problem {
  path: PathSegment[];
  /** The offending value, quoted in the message when present. */
  value?: unknown;
  message: string;
}

export function validateCluster(c: Cluster): Problem[] {
  return [...hostRules(c), ...etcdRules(c), ...networkRules(c), ...lbRules(c), ...portRules(c), ...certificateRules(c)];
}

/** kubeadm's defaults when the spec leaves a lifetime out. */
const KUBEADM_CERT_VALIDITY = '8760h';
const KUBEADM_CA_VALIDITY = '87600h';

function certificateRules(c: Cluster): Problem[] {
  const certs = c.spec.certificates;
  if (!certs?.validityPeriod) return [];
  const ca = certs.caValidityPeriod ?? KUBEADM_CA_VALIDITY;
  if (durationSeconds(certs.validityPeriod) <= durationSeconds(ca)) return [];
  return [{
    path: ['spec', 'certificates', 'validityPeriod'],
    value: certs.validityPeriod,
    message: `outlives the CAs (spec.certificates.caValidityPeriod ${ca}${certs.caValidityPeriod ? '' : ", kubeadm's default"}): a certificate cannot outlast the CA that signed it; use at most ${ca}, e.g. ${KUBEADM_CERT_VALIDITY}`,
  }];
}

function hostRules(c: Cluster): Problem[] {
  const out: Problem[] = [];
  const hosts = c.spec.hosts;
  const seenName = new Map<string, number>();
  const seenAddr = new Map<string, number>();
  hosts.forEach((h, i) => {
    const n = seenName.get(h.name);
    if (n !== undefined) out.push({ path: ['spec', 'hosts', i, 'name'], value: h.name, message: `is also the name of spec.hosts[${n}]; give each host its own name` });
    else seenName.set(h.name, i);
    const a = seenAddr.get(h.address);
    if (a !== undefined) out.push({ path: ['spec', 'hosts', i, 'address'], value: h.address, message: `is also the address of spec.hosts[${a}] (${hosts[a].name}); give each host its own address` });
    else seenAddr.set(h.address, i);
    if (h.roles.includes('control-plane') && h.roles.includes('worker')) {
      out.push({ path: ['spec', 'hosts', i, 'roles'], value: h.roles, message: 'makes a host both control-plane and worker; drop worker (set spec.controlPlane.untaint: true to schedule pods on control planes)' });
    }
    const dup = h.roles.find((r, j) => h.roles.indexOf(r) !== j);
    if (dup) out.push({ path: ['spec', 'hosts', i, 'roles'], value: h.roles, message: `lists "${dup}" twice; list each role once` });
  });
  if (!hosts.some((h) => h.roles.includes('control-plane'))) {
    out.push({ path: ['spec', 'hosts'], message: 'has no control-plane host; give at least one host the control-plane role (the first one becomes master0)' });
  }
  return out;
}

function etcdRules(c: Cluster): Problem[] {
  const out: Problem[] = [];
  const topology = c.spec.etcd.topology;
  const e = c.spec.etcd;
  if (e.electionTimeout < 5 * e.heartbeatInterval) {
    out.push({ path: ['spec', 'etcd', 'electionTimeout'], value: e.electionTimeout, message: `is less than 5 x spec.etcd.heartbeatInterval (${e.heartbeatInterval}), which etcd refuses; use at least ${5 * e.heartbeatInterval}` });
  }
  if (topology === 'stacked') {
    c.spec.hosts.forEach((h, i) => {
      if (h.roles.includes('etcd') && !h.roles.includes('control-plane')) {
        out.push({
          path: ['spec', 'hosts', i, 'roles'],
          value: h.roles,
          message: 'has etcd without control-plane, but spec.etcd.topology is stacked (each control plane runs its own member); make it a control plane or set spec.etcd.topology: external',
        });
      }
    });
  } else if (!c.spec.hosts.some((h) => h.roles.includes('etcd'))) {
    out.push({ path: ['spec', 'etcd', 'topology'], value: topology, message: 'needs hosts with the etcd role; add etcd to some spec.hosts[].roles or use topology: stacked' });
  }
  return out;
}

function networkRules(c: Cluster): Problem[] {
  const out: Problem[] = [];
  const net = c.spec.networking;
  const pod = parseCidr(net.podSubnet);
  const svc = parseCidr(net.serviceSubnet);
  if (pod && svc && cidrsOverlap(pod, svc)) {
    out.push({ path: ['spec', 'networking', 'serviceSubnet'], value: net.serviceSubnet, message: `overlaps spec.networking.podSubnet "${net.podSubnet}"; pick disjoint ranges` });
  }
  // Pods and services get these ranges routed inside the cluster: a host, the VIP or the LB in
  // them would be shadowed for every pod.
  const lb = c.spec.loadBalancer;
  const addresses: Array<[PathSegment[], string | undefined, string]> = [
    ...c.spec.hosts.map((h, i): [PathSegment[], string, string] => [['spec', 'hosts', i, 'address'], h.address, 'host addresses']),
    [['spec', 'loadBalancer', 'vip'], lb.vip, 'the VIP'],
    [['spec', 'loadBalancer', 'address'], lb.address, 'the load balancer address'],
  ];
  for (const [path, address, what] of addresses) {
    const ip = address === undefined ? undefined : ipv4ToInt(address);
    if (ip === undefined) continue;
    for (const [field, cidr, parsed] of [['podSubnet', net.podSubnet, pod], ['serviceSubnet', net.serviceSubnet, svc]] as const) {
      if (parsed && cidrContains(parsed, ip)) {
        out.push({ path, value: address, message: `lies inside spec.networking.${field} "${cidr}"; choose a ${field} that does not contain ${what}` });
      }
    }
  }
  return out;
}

function lbRules(c: Cluster): Problem[] {
  const out: Problem[] = [];
  const lb = c.spec.loadBalancer;
  const p = (k: string): PathSegment[] => ['spec', 'loadBalancer', k];
  const onlyFor = (key: 'vip' | 'interface' | 'address' | 'vipPrefixLength', type: string) => {
    if (lb[key] !== undefined) out.push({ path: p(key), value: lb[key], message: `is only used when loadBalancer.type is ${type}; remove it` });
  };
  if (lb.type === 'vip') {
    if (lb.vip === undefined) out.push({ path: p('vip'), message: 'is required when loadBalancer.type is vip; give a free address in the control planes\' subnet' });
    else {
      const i = c.spec.hosts.findIndex((h) => h.address === lb.vip);
      if (i >= 0) out.push({ path: p('vip'), value: lb.vip, message: `is the address of spec.hosts[${i}] (${c.spec.hosts[i].name}); the VIP must be a free address that keepalived can move` });
      // keepalived moves the VIP between the control planes' interfaces: it must be on their subnet.
      const vip = ipv4ToInt(lb.vip);
      const away = c.spec.hosts.find((h) => h.roles.includes('control-plane') && !sameSubnet(h.address, lb.vip as string, lb.vipPrefixLength));
      if (vip !== undefined && away) {
        out.push({
          path: p('vip'),
          value: lb.vip,
          message: `is not in the /${lb.vipPrefixLength} subnet of control plane ${away.name} (${away.address}); pick a free address in the control planes' subnet, or set spec.loadBalancer.vipPrefixLength to the subnet's real prefix length`,
        });
      }
    }
    if (lb.interface === undefined) out.push({ path: p('interface'), message: 'is required when loadBalancer.type is vip; name the control planes\' network interface (see `ip a`), e.g. eth0' });
    onlyFor('address', 'external');
  } else if (lb.type === 'local-proxy') {
    onlyFor('vip', 'vip');
    onlyFor('interface', 'vip');
    onlyFor('address', 'external');
  } else {
    if (lb.address === undefined) out.push({ path: p('address'), message: 'is required when loadBalancer.type is external; give the load balancer\'s DNS name or IP' });
    onlyFor('vip', 'vip');
    onlyFor('interface', 'vip');
  }
  if (lb.type !== 'vip' && lb.vipPrefixLength !== 24) onlyFor('vipPrefixLength', 'vip');
  if (lb.type === 'vip') {
    // keepalived clamps priorities to 1..254: the demoted master0 (base - spread - 1) must stay >= 1.
    const k = lb.keepalived;
    const spread = (c.spec.hosts.filter((h) => h.roles.includes('control-plane')).length - 1) * k.priorityStep;
    if (k.priorityBase - spread - 1 < 1) {
      out.push({ path: [...p('keepalived'), 'priorityBase'], value: k.priorityBase, message: `is too low for the control planes' priorities (step ${k.priorityStep}) and the failure weight; use at least ${spread + 2}` });
    }
  }
  // nginx (every node) or haproxy (every control plane) shares a host with an apiserver.
  if (lb.type !== 'external' && lb.port === lb.apiserverBindPort) {
    const who = lb.type === 'vip' ? 'haproxy' : 'nginx';
    out.push({ path: p('port'), value: lb.port, message: `equals spec.loadBalancer.apiserverBindPort; ${who} and the apiserver both listen on each control plane: pick different ports (e.g. ${lb.type === 'vip' ? '8443 and 6443' : '6443 and 5443'})` });
  }
  return out;
}

function sameSubnet(a: string, b: string, prefix: number): boolean {
  const c = parseCidr(`${a}/${prefix}`);
  const ip = ipv4ToInt(b);
  return c !== undefined && ip !== undefined && cidrContains(c, ip);
}

/**
 * Ports the cluster's own daemons hold. Each listener below runs on every control plane, where
 * all of these are taken (etcd's too, stacked or external on the seeds' shared hosts).
 */
const RESERVED_PORTS: Array<{ port: number; who: string }> = [
  { port: 2379, who: "etcd's client port" },
  { port: 2380, who: "etcd's peer port" },
  { port: 10248, who: "the kubelet's healthz port" },
  { port: 10249, who: "kube-proxy's metrics port" },
  { port: 10250, who: "the kubelet's API port" },
  { port: 10256, who: "kube-proxy's health port" },
  { port: 10257, who: "kube-controller-manager's port" },
  { port: 10259, who: "kube-scheduler's port" },
];

/**
 * Ports that would collide on one host: sshd, the apiserver and the local LB (haproxy on each
 * control plane, nginx on every node) against each other and against etcd's, the kubelet's and
 * the control plane's own ports.
 */
function portRules(c: Cluster): Problem[] {
  const out: Problem[] = [];
  const lb = c.spec.loadBalancer;
  const listeners: Array<{ path: PathSegment[]; port: number; name: string }> = [
    { path: ['spec', 'ssh', 'port'], port: c.spec.ssh.port, name: 'sshd' },
    { path: ['spec', 'loadBalancer', 'apiserverBindPort'], port: lb.apiserverBindPort, name: 'the apiserver' },
  ];
  // An external LB listens on its own machine.
  if (lb.type !== 'external') listeners.push({ path: ['spec', 'loadBalancer', 'port'], port: lb.port, name: lb.type === 'vip' ? 'haproxy' : 'nginx' });
  for (const l of listeners) {
    const hit = RESERVED_PORTS.find((r) => r.port === l.port);
    if (hit) out.push({ path: l.path, value: l.port, message: `is ${hit.who}, which ${l.name} would share a host with; pick another port` });
  }
  // sshd against the cluster's listeners (the LB/apiserver pair is lbRules' business).
  for (const l of listeners.slice(1)) {
    if (l.port === c.spec.ssh.port) out.push({ path: l.path, value: l.port, message: `is spec.ssh.port, where sshd listens on the same host; pick another port for ${l.name}` });
  }
  return out;
}
