/**
 * What each verification check saw, in words ("5/5 nodes Ready", "etcd: 3 members, all
 * healthy, leader m1", "VIP 10.0.0.250 moved m1 -> m2 in 3.1 s"), read from the tools' own
 * output: kubectl's tables, etcdctl's tables, the drill's timing line. Pure: one reader per kind
 * of check, in a table the compiler holds to the verify phase's list. The raw output stays in
 * the step's tail for `hakube logs`.
 */
import type { VerifyKind } from '../phases/verify';

export interface SummaryContext {
  /** Expected Kubernetes nodes (names). */
  nodes: string[];
  /** Where the VIP was found after the drill (filled by the activity), if anywhere. */
  vipHolder?: string;
  host: string;
}

type Reader = (output: string, ctx: SummaryContext) => string | undefined;

/** Rows of a table etcdctl draws with `-w table`, as objects keyed by the header's names. */
export function asciiTable(text: string, firstHeader: string): Array<Record<string, string>> {
  const lines = text.split('\n').map((l) => l.trim());
  const cells = (l: string): string[] => l.replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
  const headerAt = lines.findIndex((l) => l.startsWith('|') && cells(l)[0] === firstHeader);
  if (headerAt < 0) return [];
  const header = cells(lines[headerAt]);
  const rows: Array<Record<string, string>> = [];
  // Border, header, border, rows, border: the rows end at the next border.
  for (const l of lines.slice(headerAt + 2)) {
    if (!l.startsWith('|')) break;
    const c = cells(l);
    rows.push(Object.fromEntries(header.map((h, i) => [h, c[i] ?? ''])));
  }
  return rows;
}

/** `kubectl get nodes` (any -o wide): name -> STATUS. */
export function nodeStatuses(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let inTable = false;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'NAME' && f[1] === 'STATUS') {
      inTable = true;
      continue;
    }
    if (inTable && f.length >= 2) out.set(f[0], f[1]);
  }
  return out;
}

const nodesReady: Reader = (output, ctx) => {
  const statuses = nodeStatuses(output);
  if (statuses.size === 0) return undefined;
  const ready = new Set(ctx.nodes.filter((n) => (statuses.get(n) ?? '').split(',')[0] === 'Ready'));
  const missing = ctx.nodes.filter((n) => !ready.has(n)).map((n) => `${n} ${statuses.get(n) ?? 'missing'}`);
  return `${ready.size}/${ctx.nodes.length} nodes Ready${missing.length ? `; not Ready: ${missing.join(', ')}` : ''}`;
};

const etcdHealth: Reader = (output) => {
  const healthy = output.split('\n').filter((l) => /\bis healthy\b/.test(l)).length;
  const unhealthy = output.split('\n').filter((l) => /\bis unhealthy\b/.test(l)).length;
  const members = asciiTable(output, 'ID');
  if (members.length === 0) return undefined;
  const status = asciiTable(output, 'ENDPOINT');
  const leaderId = status.find((r) => r['IS LEADER'] === 'true')?.ID;
  const leader = members.find((m) => m.ID === leaderId)?.NAME;
  const notStarted = members.filter((m) => m.STATUS && m.STATUS !== 'started').map((m) => `${m.NAME || m.ID} ${m.STATUS}`);
  const learners = members.filter((m) => m['IS LEARNER'] === 'true').length;
  const parts = [`etcd: ${members.length} member${members.length === 1 ? '' : 's'}`];
  const total = healthy + unhealthy;
  parts.push(unhealthy === 0 && total > 0 ? 'all healthy' : `${healthy}/${total} endpoints healthy`);
  if (leader) parts.push(`leader ${leader}`);
  else if (status.length > 0) parts.push('no leader');
  if (notStarted.length) parts.push(`not started: ${notStarted.join(', ')}`);
  if (learners) parts.push(`${learners} learner${learners === 1 ? '' : 's'}`);
  return parts.join(', ');
};

const healthz: Reader = (output) => {
  const m = /GET https:\/\/(\S+?)\/healthz: (\S+)/.exec(output);
  return m ? `apiserver /healthz ${m[2]} through ${m[1]}` : undefined;
};

const vipFailover: Reader = (output, ctx) => {
  const moved = /VIP (\S+) moved off (\S+) in ([\d.]+) s/.exec(output);
  if (moved) return `VIP ${moved[1]} moved ${moved[2]} -> ${ctx.vipHolder ?? 'another control plane'} in ${moved[3]} s; the apiserver answers through it`;
  const elsewhere = /(\S+) is held by another control plane and answers/.exec(output);
  if (elsewhere) return `VIP ${elsewhere[1]} is held by ${ctx.vipHolder ?? 'another control plane'}, not ${ctx.host}, and answers; no drill from here`;
  return undefined;
};

const testWorkload: Reader = (output) => {
  const created = [...output.matchAll(/^(deployment\.apps|service)\/(\S+) (created|configured|unchanged)$/gm)].map((m) => `${m[1] === 'service' ? 'service' : 'deployment'} ${m[2]}`);
  if (created.length === 0) return undefined;
  const deploy = /^hakube-verify\s+(\d+)\/(\d+)\s/m.exec(output);
  const svc = /^hakube-verify\s+(ClusterIP|NodePort|LoadBalancer)\s+(\S+)/m.exec(output);
  const bits = created.map((c) => (c.startsWith('deployment') && deploy ? `${c} (${deploy[2]} replicas)` : c.startsWith('service') && svc ? `${c} (${svc[1]} ${svc[2]})` : c));
  return `${bits.join(' and ')} created through the API, then removed`;
};

const READERS: Record<VerifyKind, Reader> = {
  'nodes-ready': nodesReady,
  'etcd-health': etcdHealth,
  healthz,
  'vip-failover': vipFailover,
  'test-workload': testWorkload,
};

/** The words for a passed check, or undefined when its output is not what the reader knows. */
export function summarizeCheck(kind: VerifyKind, output: string, ctx: SummaryContext): string | undefined {
  return READERS[kind](output, ctx);
}
