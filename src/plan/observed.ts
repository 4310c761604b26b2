/**
 * The cluster as it is, against the specs: what apply reads through a control plane before it
 * runs (Nodes, etcd members, every holder's backend list; activities/observe.ts reads them)
 * and the pure comparison with the last applied spec and the new one. A host the spec lists
 * but the cluster lacks is joined (the joins' checks ask the cluster); a Node no spec lists is
 * left alone and shown; a leaving host already gone is only reset; a removal the live etcd
 * members cannot afford is refused with the numbers, before any host is touched.
 */
import { lbDriver } from '../drivers/lb';
import { controlPlanes, nodes, quorum } from '../spec/topology';
import type { Cluster } from '../spec/types';

export interface ObservedNode {
  name: string;
  ready: boolean;
}

export interface ObservedMember {
  name: string;
  peerURL: string;
  learner: boolean;
}

export interface ObservedCluster {
  /** The control plane that answered. */
  from: string;
  /** undefined: no control plane answered. */
  nodes?: ObservedNode[];
  /** undefined: etcd could not be asked (or is not hakube's to ask). */
  members?: ObservedMember[];
  /** Per holder of a backend list: the host:port entries its config lists, or why it could not be read. */
  backends: Record<string, string[] | { error: string }>;
  /** What could not be read, one line each. */
  errors: string[];
}

export interface ClusterDrift {
  /** The differences, one line each. */
  lines: string[];
  /** What the live cluster cannot afford (apply refuses it before touching a host). */
  refused: string[];
}

/** `name=True name=False ...` as the node jsonpath in activities/observe.ts prints it. */
export function parseNodes(text: string): ObservedNode[] {
  return text
    .split(/\s+/)
    .filter((w) => w.includes('='))
    .map((w) => {
      const [name, status] = w.split('=');
      return { name, ready: status === 'True' };
    });
}

/** etcdctl's `member list` (simple format): "id, status, name, peer URLs, client URLs, is learner". */
export function parseMembers(text: string): ObservedMember[] {
  return text
    .split('\n')
    .map((l) => l.split(', '))
    .filter((f) => f.length >= 6 && /^[0-9a-f]+$/.test(f[0]))
    .map((f) => ({ name: f[2], peerURL: f[3], learner: f[5].trim() === 'true' }));
}

const same = (a: string[], b: string[]) => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

export function diffAgainstCluster(prev: Cluster, next: Cluster, o: ObservedCluster): ClusterDrift {
  const lines: string[] = [...o.errors.map((e) => `could not read: ${e}`)];
  const refused: string[] = [];
  const inPrev = new Set(prev.spec.hosts.map((h) => h.name));
  const inNext = new Set(next.spec.hosts.map((h) => h.name));
  if (o.nodes) {
    const live = new Map(o.nodes.map((n) => [n.name, n]));
    for (const h of nodes(next)) {
      const n = live.get(h.name);
      if (!n) lines.push(`${h.name}: in the spec, no Node in the cluster${inPrev.has(h.name) ? ' (it was deployed: reset or deleted by hand?)' : ''}: apply joins it`);
      else if (!n.ready) lines.push(`${h.name}: Node is NotReady`);
    }
    for (const h of nodes(prev).filter((x) => !inNext.has(x.name))) {
      if (!live.has(h.name)) lines.push(`${h.name}: leaves, but has no Node any more: nothing to drain or delete, the host is still reset`);
    }
    for (const n of o.nodes) {
      if (!inPrev.has(n.name) && !inNext.has(n.name)) lines.push(`${n.name}: a Node no spec lists (joined by hand?): apply leaves it alone; add it to the spec to manage it`);
    }
  }
  if (o.members && next.spec.etcd.topology === 'stacked') {
    const cps = new Set([...controlPlanes(prev), ...controlPlanes(next)].map((h) => h.name));
    for (const m of o.members) {
      if (!cps.has(m.name)) lines.push(`etcd member ${m.name || m.peerURL} belongs to no control plane of the spec`);
      if (m.learner) lines.push(`etcd member ${m.name} is still a learner`);
    }
    const names = new Set(o.members.map((m) => m.name));
    for (const h of controlPlanes(next)) if (inPrev.has(h.name) && !names.has(h.name)) lines.push(`${h.name}: control plane without an etcd member`);
    const leaving = controlPlanes(prev).filter((h) => !inNext.has(h.name) && names.has(h.name));
    const n = o.members.length;
    if (leaving.length && n - leaving.length < quorum(n)) {
      refused.push(
        `removing ${leaving.map((h) => h.name).join(', ')} leaves ${n - leaving.length} of the cluster's ${n} live etcd members, fewer than the quorum of ${quorum(n)} they need: remove at most ${n - quorum(n)} per apply`,
      );
    }
  }
  const lb = lbDriver(next);
  const want = controlPlanes(next).map((h) => `${h.address}:${next.spec.loadBalancer.apiserverBindPort}`);
  // In the holders' order (the reads finish in any order).
  const order = [...lbDriver(prev).holders(prev), ...lb.holders(next)].map((h) => h.name);
  const hosts = [...new Set([...order, ...Object.keys(o.backends)])].filter((h) => h in o.backends);
  for (const host of hosts) {
    const got = o.backends[host];
    if (!inNext.has(host)) continue;
    if (!Array.isArray(got)) lines.push(`${host}: ${lb.proxy} backends unreadable (${got.error})`);
    else if (!same(got, want)) lines.push(`${host}: ${lb.proxy} backends ${got.join(' ') || '(none)'} -> ${want.join(' ')} (reloaded in place)`);
  }
  return { lines, refused };
}

export function driftText(o: ObservedCluster, d: ClusterDrift): string {
  const head = o.nodes ? `the cluster as it is (read through ${o.from}):` : 'the cluster as it is: no control plane answered';
  const body = d.lines.length ? d.lines.map((l) => `  ${l}`) : ['  as the last applied spec says'];
  return `${[head, ...body, ...d.refused.map((r) => `refused: ${r}`)].join('\n')}\n`;
}
