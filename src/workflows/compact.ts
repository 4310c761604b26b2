/**
 * The progress query's wire form. At thousands of hosts one object per host and step passes
 * the 1 MB the query may answer with, though nearly every host says the same thing ("pending",
 * or "done, nothing to report"). Those hosts travel as groups of host positions sharing one step
 * template; a host worth a look (running, failed, compensated, skipped, or with any error) keeps
 * its full record. Output tails of the grouped done hosts stay behind: the `host` query has them.
 * Pure (workflow and client import it); src/client/progress.ts expands it back.
 */
import type { HealthCheck, HealthReport, HostProgress, PhaseProgress, Progress, StepStatus } from './defs';

/**
 * Runs with more hosts than this answer compact. Below it the full record stays well under the
 * limit (about 1.6 KB a host), and every reader, the Web UI's query tab and scripts included,
 * gets each host's record with its tails without a second query.
 */
export const COMPACT_ABOVE_HOSTS = 200;

/** What the progress query answers: the full record for small runs, the compact form for large ones. */
export function progressAnswer(p: Progress): Progress | ProgressWire {
  const hosts = p.phases.reduce((n, ph) => Math.max(n, ph.hosts.length), 0);
  return hosts > COMPACT_ABOVE_HOSTS ? compactProgress(p) : p;
}

/** One step of a group's template: its id relative to `<phase>/<host>/` (or whole), title (POSITION for the host's place), status, attempts. */
export type StepTemplate = [rel: 0 | 1, id: string, title: string, status: StepStatus, attempts: number];

export interface HostGroup {
  status: 'pending' | 'done';
  attempts: number;
  /** The hosts' workflow id: whole, or split around `/<host>/` (each join child has its own). */
  workflowId?: string | [before: string, after: string];
  steps: StepTemplate[];
  /** Positions of the group's hosts in the phase's host order. */
  at: number[];
  /** Done groups, per host: start and end, in ms after the phase's start (null for none). */
  t?: Array<number | null>;
}

export interface CompactPhase {
  /** The phase's hosts in order, as indices into ProgressWire.hostNames. */
  order: number[];
  /** Position of each full record of `hosts`. */
  full: number[];
  groups: HostGroup[];
}

export type WirePhase = PhaseProgress & { compact?: CompactPhase };

/**
 * Passed checks of one verify step kind that read the same ("w17: apiserver healthz through
 * ...: ok" on 5,000 nodes), without their output (the verify phase's steps keep it for the
 * `host` query): the report's host-by-host lines were most of a 5,000-host answer.
 */
export interface CheckGroup {
  /** The step id relative to `verify/<host>/`, the title after `<host>: `, and the detail. */
  slug: string;
  title: string;
  detail: string;
  /** Positions in the report's check order, and each one's host (an index into hostNames). */
  at: number[];
  hosts: number[];
}

export type WireReport = HealthReport & { full?: number[]; quiet?: CheckGroup[] };
export type ProgressWire = Omit<Progress, 'phases' | 'verification'> & { hostNames?: string[]; phases: WirePhase[]; verification?: WireReport };

const QUIET_STEP = new Set<StepStatus>(['done', 'already']);

function quiet(h: HostProgress): boolean {
  if (h.lastError !== undefined) return false;
  if (h.status === 'pending') return h.attempts === 0 && h.startedAt === undefined && h.endedAt === undefined && h.workflowId === undefined && h.steps.every((s) => s.status === 'pending' && s.lastError === undefined && !s.tail && s.attempts === 0);
  if (h.status === 'done') return h.steps.every((s) => QUIET_STEP.has(s.status) && s.lastError === undefined);
  return false;
}

function workflowTemplate(h: HostProgress): HostGroup['workflowId'] {
  const id = h.workflowId;
  if (id === undefined) return undefined;
  const at = id.indexOf(`/${h.host}/`);
  return at < 0 ? id : [id.slice(0, at + 1), id.slice(at + 1 + h.host.length)];
}

/**
 * Where a step title says the host's place in its phase ("worker 17 of 4,997"), its template has
 * this instead (a NUL no title from a plan contains), so hosts differing only there share one group.
 */
export const POSITION = '\u0000';

/** The title with the host's place (pos + 1) as POSITION, when that gives the title back exactly. */
function titleTemplate(title: string, pos: number): string {
  if (title.includes(POSITION)) return title;
  const t = title.replace(/\b(master|worker|member) (\d+) of /, (whole, who: string, n: string) => (Number(n) === pos + 1 ? `${who} ${POSITION} of ` : whole));
  return t !== title && positioned(t, pos) === title ? t : title;
}

export const positioned = (title: string, pos: number): string => title.replace(POSITION, String(pos + 1));

function template(phase: string, h: HostProgress, pos: number): StepTemplate[] {
  const prefix = `${phase}/${h.host}/`;
  return h.steps.map((s) => {
    const title = titleTemplate(s.title, pos);
    return s.id.startsWith(prefix) ? [1, s.id.slice(prefix.length), title, s.status, s.attempts] : [0, s.id, title, s.status, s.attempts];
  });
}

export function compactProgress(p: Progress): ProgressWire {
  const index = new Map<string, number>();
  const hostNames: string[] = [];
  const id = (host: string): number => {
    let i = index.get(host);
    if (i === undefined) index.set(host, (i = hostNames.push(host) - 1));
    return i;
  };
  const phases = p.phases.map((ph): WirePhase => {
    const full: HostProgress[] = [];
    const compact: CompactPhase = { order: [], full: [], groups: [] };
    const groups = new Map<string, HostGroup>();
    const base = ph.startedAt ?? 0;
    ph.hosts.forEach((h, pos) => {
      compact.order.push(id(h.host));
      if (!quiet(h)) {
        full.push(h);
        compact.full.push(pos);
        return;
      }
      const steps = template(ph.name, h, pos);
      const wf = workflowTemplate(h);
      const key = JSON.stringify([h.status, h.attempts, wf ?? null, steps]);
      let g = groups.get(key);
      if (!g) {
        g = { status: h.status as HostGroup['status'], attempts: h.attempts, ...(wf !== undefined ? { workflowId: wf } : {}), steps, at: [] };
        groups.set(key, g);
        compact.groups.push(g);
      }
      g.at.push(pos);
      if (g.status === 'done') {
        g.t ??= [];
        g.t.push(h.startedAt === undefined ? null : h.startedAt - base, h.endedAt === undefined ? null : h.endedAt - base);
      }
    });
    return { ...ph, hosts: full, compact };
  });
  const verification = p.verification && compactReport(p.verification, id);
  return { ...p, hostNames, phases, ...(verification ? { verification } : {}) };
}

/** A passed check of one host's verify step, named and identified as the verify phase names it. */
function quietCheck(c: HealthCheck): { slug: string; title: string } | undefined {
  if (!c.ok || c.host === undefined || c.stepId === undefined) return undefined;
  const prefix = `verify/${c.host}/`;
  const lead = `${c.host}: `;
  if (!c.stepId.startsWith(prefix) || !c.name.startsWith(lead)) return undefined;
  return { slug: c.stepId.slice(prefix.length), title: c.name.slice(lead.length) };
}

function compactReport(r: HealthReport, id: (host: string) => number): WireReport {
  const checks: HealthCheck[] = [];
  const full: number[] = [];
  const groups = new Map<string, CheckGroup>();
  r.checks.forEach((c, pos) => {
    const q = quietCheck(c);
    if (!q) {
      checks.push(c);
      full.push(pos);
      return;
    }
    const key = JSON.stringify([q.slug, q.title, c.detail]);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ...q, detail: c.detail, at: [], hosts: [] }));
    g.at.push(pos);
    g.hosts.push(id(c.host!));
  });
  return { ok: r.ok, checks, full, quiet: [...groups.values()] };
}
