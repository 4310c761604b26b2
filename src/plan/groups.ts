/**
 * Hosts of a phase that run the same steps, for `hakube plan`'s text: with 100 workers the plan
 * shows one block "w1-w100 (100 hosts)" instead of the same steps a hundred times. Steps count
 * as the same when they differ only by each host's own name, address and place in the join
 * order, which the grouped text shows as {host}, {address} and {n}. Pure (workflow code may
 * import src/plan).
 */
import type { PlannedPhase, PlannedStep } from './types';

export const PLACEHOLDERS = { host: '{host}', address: '{address}', position: '{n}' } as const;

export interface HostGroup {
  hosts: string[];
  /** The hosts' steps: as planned for a single host, with placeholders for a group. */
  steps: PlannedStep[];
  /** The placeholders the group's steps use. */
  uses: string[];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Replaces a host's own values in every string of its steps (ids stay: they are per host). */
function generic(steps: PlannedStep[], host: string, address: string | undefined): { steps: PlannedStep[]; uses: Set<string> } {
  const uses = new Set<string>();
  const swaps: Array<[RegExp, string]> = [[new RegExp(`(?<![A-Za-z0-9_-])${escape(host)}(?![A-Za-z0-9_-])`, 'g'), PLACEHOLDERS.host]];
  if (address) swaps.push([new RegExp(`(?<![0-9A-Za-z.:])${escape(address)}(?![0-9A-Za-z])`, 'g'), PLACEHOLDERS.address]);
  const text = (s: string) =>
    swaps.reduce((acc, [re, to]) => acc.replace(re, () => (uses.add(to), to)), s);
  const title = (s: string) => text(s).replace(/\b(master|worker|member) \d+ of (\d+)/g, (_, who: string, of: string) => {
    uses.add(PLACEHOLDERS.position);
    return `${who} ${PLACEHOLDERS.position} of ${of}`;
  });
  const out = steps.map((s) => ({
    ...s,
    host: PLACEHOLDERS.host,
    title: title(s.title),
    files: s.files.map((f) => ({ ...f, path: text(f.path), content: text(f.content), ...(f.from ? { from: { host: text(f.from.host), path: text(f.from.path) } } : {}) })),
    check: s.check ? { ...s.check, argv: s.check.argv.map(text) } : undefined,
    commands: s.commands.map((c) => ({ ...c, argv: c.argv.map(text) })),
  }));
  return { steps: out, uses };
}

const signature = (steps: PlannedStep[]) => JSON.stringify(steps.map(({ id: _id, host: _host, ...rest }) => rest));

/** The phase's hosts in groups of identical work, in the phase's host order. */
export function groupHosts(phase: PlannedPhase, addresses: Record<string, string> = {}): HostGroup[] {
  const groups = new Map<string, { hosts: string[]; own: PlannedStep[]; generic: PlannedStep[]; uses: Set<string> }>();
  for (const host of phase.hosts) {
    const own = phase.steps.filter((s) => s.host === host);
    const g = generic(own, host, addresses[host]);
    const key = signature(g.steps);
    const group = groups.get(key);
    if (group) {
      group.hosts.push(host);
      for (const u of g.uses) group.uses.add(u);
    } else groups.set(key, { hosts: [host], own, generic: g.steps, uses: g.uses });
  }
  return [...groups.values()].map((g) =>
    g.hosts.length === 1
      ? { hosts: g.hosts, steps: g.own, uses: [] }
      : { hosts: g.hosts, steps: g.generic, uses: Object.values(PLACEHOLDERS).filter((p) => g.uses.has(p)) },
  );
}

/**
 * Host names with runs of three or more consecutive numbers folded: "w1-w100", "m1-m3, x, y1, y2".
 */
export function hostRanges(hosts: string[]): string {
  const parts: string[] = [];
  let run: Array<{ name: string; prefix: string; n: number }> = [];
  const flush = () => {
    if (run.length >= 3) parts.push(`${run[0].name}-${run[run.length - 1].name}`);
    else parts.push(...run.map((r) => r.name));
    run = [];
  };
  for (const name of hosts) {
    const m = /^(.*?)(0|[1-9]\d*)$/.exec(name);
    if (!m) {
      flush();
      parts.push(name);
      continue;
    }
    const cur = { name, prefix: m[1], n: Number(m[2]) };
    const last = run[run.length - 1];
    if (last && !(last.prefix === cur.prefix && last.n + 1 === cur.n)) flush();
    run.push(cur);
  }
  flush();
  return parts.join(', ');
}
