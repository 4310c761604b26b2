/**
 * bench/results/latest.json is written by several benches (fake hosts, lab, Ansible): each
 * merges its own figures by key, so a run of one bench keeps what another measured earlier,
 * with the date and machine of the run that measured it. latest.md is rendered from the merge.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, hostname, totalmem } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/temporal/paths';

export interface Figure {
  value: number | null;
  target: string;
  ok: boolean;
  note?: string;
  /** Which bench measured it, when, on what. */
  source?: string;
  date?: string;
}

export interface GrowthRow {
  hosts: number;
  kind: 'fake' | 'lab';
  [column: string]: unknown;
}

const DIR = join(PROJECT_ROOT, 'bench', 'results');
const JSON_FILE = join(DIR, 'latest.json');

export function figure(value: number | null | undefined, cmp: '<=' | '>=', target: number, note?: string): Figure {
  const v = value === undefined || value === null || Number.isNaN(value) ? null : value;
  return { value: v, target: `${cmp} ${target}`, ok: v !== null && (cmp === '<=' ? v <= target : v >= target), ...(note ? { note } : {}) };
}

function machine() {
  return { hostname: hostname(), cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 1024 ** 3) };
}

/**
 * Merges `figures` (and growth rows, replacing earlier rows of the same hosts and kind) into
 * latest.json, rewrites latest.md, and returns the keys of `figures` that missed their target.
 */
export function recordResults(source: string, figures: Record<string, Figure>, growth: GrowthRow[] = []): string[] {
  const prev = existsSync(JSON_FILE) ? (JSON.parse(readFileSync(JSON_FILE, 'utf8')) as { targets?: Record<string, Figure>; growth?: GrowthRow[] }) : {};
  const date = new Date().toISOString();
  const targets: Record<string, Figure> = { ...(prev.targets ?? {}) };
  // Not measured by this run (null) keeps what an earlier run measured, with that run's date.
  for (const [k, f] of Object.entries(figures)) if (f.value !== null || targets[k]?.value == null) targets[k] = { ...f, source, date };
  const rows = [...(prev.growth ?? []).filter((r) => !growth.some((g) => g.hosts === r.hosts && g.kind === r.kind)), ...growth].sort((a, b) => a.kind.localeCompare(b.kind) || a.hosts - b.hosts);
  const out = { date, machine: machine(), ...Object.fromEntries(Object.entries(targets).map(([k, f]) => [k, f.value])), targets, growth: rows };
  writeFileSync(JSON_FILE, `${JSON.stringify(out, null, 2)}\n`);
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((c) => c !== 'hosts' && c !== 'kind');
  const md = [
    `# bench results (last merged ${date}, ${out.machine.cpus} cores, ${out.machine.memGiB} GiB)`,
    '',
    '| figure | value | target | met | measured by | note |',
    '| --- | --- | --- | --- | --- | --- |',
    ...Object.entries(targets).map(([k, f]) => `| ${k} | ${f.value ?? 'not measured'} | ${f.target} | ${f.ok ? 'yes' : 'NO'} | ${f.source ?? ''} ${f.date?.slice(0, 16) ?? ''} | ${f.note ?? ''} |`),
    '',
    `| hosts | kind | ${cols.join(' | ')} |`,
    `| --- | --- | ${cols.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.hosts} | ${r.kind} | ${cols.map((c) => String(r[c] ?? '')).join(' | ')} |`),
    '',
  ].join('\n');
  writeFileSync(join(DIR, 'latest.md'), md);
  return Object.entries(figures).filter(([, f]) => !f.ok).map(([k]) => k);
}
