/**
 * The one place the progress query's compact wire form (workflows/compact.ts) becomes the full
 * Progress record again, and where the `host` query's full detail of one host is folded in.
 * Answers from runs without compaction (older workers, renewCerts) pass through unchanged.
 */
import type { HealthCheck, HealthReport, HostDetail, HostProgress, Progress } from '../workflows/defs';
import { positioned, type ProgressWire, type WireReport } from '../workflows/compact';

export function expandProgress(wire: ProgressWire | Progress): Progress {
  const w = wire as ProgressWire;
  const names = w.hostNames;
  if (!names) return wire as Progress;
  const { hostNames: _names, ...rest } = w;
  void _names;
  const phases = w.phases.map(({ compact, ...ph }) => {
    if (!compact) return ph;
    const hosts: HostProgress[] = new Array<HostProgress>(compact.order.length);
    compact.full.forEach((pos, i) => (hosts[pos] = ph.hosts[i]));
    const base = ph.startedAt ?? 0;
    for (const g of compact.groups) {
      g.at.forEach((pos, i) => {
        const host = names[compact.order[pos]];
        const prefix = `${ph.name}/${host}/`;
        const h: HostProgress = {
          host,
          status: g.status,
          attempts: g.attempts,
          steps: g.steps.map(([rel, id, title, status, attempts]) => ({ id: rel ? prefix + id : id, title: positioned(title, pos), status, attempts })),
        };
        if (g.workflowId !== undefined) h.workflowId = typeof g.workflowId === 'string' ? g.workflowId : g.workflowId[0] + host + g.workflowId[1];
        const start = g.t?.[2 * i];
        const end = g.t?.[2 * i + 1];
        if (start !== undefined && start !== null) h.startedAt = start + base;
        if (end !== undefined && end !== null) h.endedAt = end + base;
        hosts[pos] = h;
      });
    }
    return { ...ph, hosts };
  });
  const verification = w.verification && expandReport(w.verification, names);
  return { ...rest, phases, ...(verification ? { verification } : {}) } as Progress;
}

/** The verification report with its grouped passed checks back in place (their output stays behind). */
function expandReport(r: WireReport, names: string[]): HealthReport {
  if (!r.quiet) return r;
  const checks: HealthCheck[] = new Array<HealthCheck>(r.checks.length + r.quiet.reduce((n, g) => n + g.at.length, 0));
  r.full?.forEach((pos, i) => (checks[pos] = r.checks[i]));
  for (const g of r.quiet) {
    g.at.forEach((pos, i) => {
      const host = names[g.hosts[i]];
      checks[pos] = { name: `${host}: ${g.title}`, ok: true, detail: g.detail, stepId: `verify/${host}/${g.slug}`, host };
    });
  }
  return { ok: r.ok, checks };
}

/**
 * Done hosts the compact answer summarized, so their steps came without output tails: the only
 * ones `logs` has to ask the `host` query for. A full answer (200 hosts or fewer) has none.
 */
export function summarizedDone(wire: ProgressWire | Progress): string[] {
  const w = wire as ProgressWire;
  if (!w.hostNames) return [];
  const out = new Set<string>();
  for (const ph of w.phases) for (const g of ph.compact?.groups ?? []) if (g.status === 'done') for (const pos of g.at) out.add(w.hostNames[ph.compact!.order[pos]]);
  return [...out];
}

/** Progress with one host's entries replaced by its full detail (steps with their output tails). */
export function withHostDetail(p: Progress, detail: HostDetail | undefined): Progress {
  if (!detail) return p;
  const byPhase = new Map(detail.phases.map((d) => [d.phase, d.progress]));
  return {
    ...p,
    phases: p.phases.map((ph) => {
      const full = byPhase.get(ph.name);
      return full ? { ...ph, hosts: ph.hosts.map((h) => (h.host === detail.host ? full : h)) } : ph;
    }),
  };
}
