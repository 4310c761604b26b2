/**
 * The live board, fitted to a terminal: a pure function of a progress snapshot, the terminal's
 * size and the clock. Every line is narrower than the terminal (so nothing wraps) and there are
 * fewer lines than it has rows (so a redraw never scrolls): one row per phase with host counts,
 * a bar, elapsed time and an estimate, then the hosts that matter (failed first, then running,
 * with their step or last error) as many as fit, then "+N more".
 */
import type { HostProgress, PhaseProgress, Progress } from '../workflows/defs';
import { renderWaiting } from './render';
import { hostStatusWord, isHang } from './hang';

export interface TermSize {
  columns: number;
  rows: number;
}

interface Counts {
  done: number;
  running: number;
  failed: number;
  pending: number;
  total: number;
}

export function countHosts(ph: PhaseProgress): Counts {
  const c: Counts = { done: 0, running: 0, failed: 0, pending: 0, total: ph.hosts.length };
  for (const h of ph.hosts) {
    if (h.status === 'done' || h.status === 'skipped') c.done++;
    else if (h.status === 'running') c.running++;
    else if (h.status === 'failed' || h.status === 'compensated') c.failed++;
    else c.pending++;
  }
  return c;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Elapsed time of a phase, plus what is left at the rate hosts have finished so far. */
export function phaseTiming(ph: PhaseProgress, now: number): string {
  if (ph.startedAt === undefined) return '';
  const end = ph.endedAt ?? now;
  const elapsed = end - ph.startedAt;
  let text = formatDuration(elapsed);
  const c = countHosts(ph);
  if (ph.endedAt === undefined && c.done > 0 && c.done < c.total) {
    text += ` ~${formatDuration((elapsed / c.done) * (c.total - c.done))} left`;
  }
  return text;
}

export function currentStep(h: HostProgress): string | undefined {
  return (h.steps.find((s) => s.status === 'running') ?? h.steps.find((s) => s.status === 'pending'))?.title;
}

function bar(fraction: number, width: number): string {
  const full = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

const clip = (line: string, width: number): string => (line.length > width ? line.slice(0, Math.max(0, width - 1)) + '…' : line);

export function fitBoard(p: Progress, size: TermSize, now: number): string[] {
  // One column and one row stay free: a full-width line may wrap early, and the cursor needs a row.
  const width = Math.max(20, size.columns - 1);
  const rows = Math.max(p.phases.length + 1, size.rows - 1);
  const out: string[] = [];
  const startedAt = p.phases.find((ph) => ph.startedAt !== undefined)?.startedAt;
  const hosts = new Set(p.phases.flatMap((ph) => ph.hosts.map((h) => h.host))).size;
  const head = [`${p.cluster}: ${p.state}${p.phase && p.state !== 'done' ? ` (${p.phase})` : ''}`, `${hosts} hosts`];
  if (startedAt !== undefined) {
    const last = p.state === 'done' ? Math.max(...p.phases.map((ph) => ph.endedAt ?? 0)) : now;
    head.push(`${formatDuration(last - startedAt)} elapsed`);
  }
  out.push(clip(head.join('  ·  '), width));

  const nameW = Math.max(...p.phases.map((ph) => ph.name.length), 5);
  const numW = Math.max(4, String(Math.max(...p.phases.map((ph) => ph.hosts.length), 0)).length);
  const num = (n: number): string => String(n).padStart(numW);
  const fixed = nameW + 1 + 8 + 4 * (numW + 1) + 2 + 1 + 4 + 2 + 18;
  const barW = Math.min(30, width - fixed);
  const withHeader = rows >= p.phases.length + 3;
  if (withHeader) {
    const cols = ['done', 'run', 'fail', 'pend'].map((c) => c.padStart(numW)).join(' ');
    out.push(clip(`${'phase'.padEnd(nameW)} ${'state'.padEnd(8)} ${cols}${barW >= 5 ? `  ${'progress'.padEnd(barW + 5)}` : ''}  time`, width));
  }
  for (const ph of p.phases) {
    const name = ph.name.padEnd(nameW);
    if (ph.status === 'skipped') {
      out.push(clip(`${name} skipped  ${ph.reason ?? ''}`.trimEnd(), width));
      continue;
    }
    const c = countHosts(ph);
    const fraction = c.total ? c.done / c.total : ph.status === 'done' ? 1 : 0;
    const progress = barW >= 5 ? `  ${bar(fraction, barW)} ${`${Math.floor(fraction * 100)}%`.padStart(4)}` : '';
    const row = `${name} ${ph.status.padEnd(8)} ${num(c.done)} ${num(c.running)} ${num(c.failed)} ${num(c.pending)}${progress}  ${phaseTiming(ph, now)}`;
    out.push(clip(row.trimEnd(), width));
  }

  const tail: string[] = [];
  if (p.waiting) tail.push(...renderWaiting(p).filter((l) => !/^\s{4}ok /.test(l)));
  if (p.error) tail.push(`error: ${p.error}`);
  const tailRows = Math.min(tail.length, Math.max(0, rows - out.length - 1));
  // The "next:" hint is the last waiting line: keep it when the block is cut.
  const kept = tailRows < tail.length && tailRows > 1 ? [...tail.slice(0, tailRows - 1), tail[tail.length - 1]] : tail.slice(0, tailRows);

  const matter: string[] = [];
  const hostW = Math.min(16, Math.max(...p.phases.flatMap((ph) => ph.hosts.map((h) => h.host.length)), 1));
  for (const status of ['failed', 'running'] as const) {
    for (const ph of p.phases) {
      for (const h of ph.hosts) {
        const failed = h.status === 'failed' || h.status === 'compensated';
        if (status === 'failed' ? !failed : h.status !== 'running') continue;
        const attempt = h.attempts > 1 ? ` (attempt ${h.attempts})` : '';
        const what = failed ? `${hostStatusWord(h)}: ${h.lastError ?? ''}` : `${currentStep(h) ?? ''}${attempt}${h.lastError ? ` · ${isHang(h.lastError) ? 'HUNG before' : 'last error'}: ${h.lastError}` : ''}`;
        matter.push(`${failed ? '✗' : '…'} ${h.host.padEnd(hostW)} ${ph.name.padEnd(nameW)} ${what}`);
      }
    }
  }
  const free = rows - out.length - kept.length;
  if (matter.length > 0 && free > 0) {
    const shown = matter.length <= free ? matter : matter.slice(0, free - 1);
    out.push(...shown.map((l) => clip(l, width)));
    if (shown.length < matter.length) out.push(clip(`+${matter.length - shown.length} more (hakube status ${p.cluster} --wide)`, width));
  }
  out.push(...kept.map((l) => clip(l, width)));
  return out;
}
