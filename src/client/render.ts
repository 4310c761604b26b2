/**
 * Turns a deploy's progress record into text: a compact per-phase, per-host board (redrawn on a
 * TTY, printed once by `hakube status`) and event lines for plain output (CI logs, pipes), which
 * only say what changed since the last snapshot.
 */
import type { HostProgress, PhaseProgress, Progress } from '../workflows/defs';
import { isHang } from './hang';

const MARK: Record<HostProgress['status'], string> = {
  pending: '·',
  running: '…',
  done: '✓',
  failed: '✗',
  compensated: '↺',
  skipped: '-',
};

function hostCell(h: HostProgress): string {
  let cell = `${h.host} ${MARK[h.status]}`;
  if (h.status === 'running') {
    const step = h.steps.find((s) => s.status === 'running') ?? h.steps.find((s) => s.status === 'pending');
    if (step) cell += ` ${step.title}`;
  }
  if (h.attempts > 1 && h.status !== 'done') cell += ` (attempt ${h.attempts})`;
  if (h.status !== 'done' && isHang(h.lastError)) cell += h.status === 'running' ? ' HUNG before, retrying' : ' HUNG';
  return cell;
}

export function renderBoard(p: Progress): string {
  const lines: string[] = [];
  lines.push(`${p.cluster}: ${p.state}${p.phase && p.state !== 'done' ? ` (phase ${p.phase})` : ''}`);
  const width = Math.max(...p.phases.map((ph) => ph.name.length));
  for (const ph of p.phases) {
    const head = `  ${ph.name.padEnd(width)}  ${ph.status.padEnd(8)}`;
    if (ph.status === 'skipped') {
      lines.push(`${head}  ${ph.reason ?? ''}`.trimEnd());
      continue;
    }
    lines.push(`${head}  ${ph.hosts.map(hostCell).join('  ')}`.trimEnd());
  }
  if (p.waiting) lines.push(...renderWaiting(p));
  if (p.error) lines.push(`error: ${p.error}`);
  return lines.join('\n');
}

export function renderWaiting(p: Progress): string[] {
  const w = p.waiting;
  if (!w) return [];
  const lines = [`WAITING for the operator in ${w.phase}${w.hosts.length ? ` (${w.hosts.join(', ')})` : ''}: ${w.error}`];
  if (w.health) {
    lines.push(`  health after compensation: ${w.health.ok ? 'OK' : 'NOT OK'}`);
    for (const c of w.health.checks) lines.push(`    ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  }
  const how: string[] = [];
  if (w.allowed.includes('retry')) how.push(`hakube retry ${p.cluster}`);
  if (w.allowed.includes('skip')) how.push(`hakube skip ${p.cluster} <host>`);
  if (w.allowed.includes('abort')) how.push(`hakube abort ${p.cluster}`);
  lines.push(`  next: ${how.join('  |  ')}`);
  return lines;
}

/** Event lines for what changed between two snapshots (prev undefined: everything so far). */
export function diffEvents(prev: Progress | undefined, next: Progress): string[] {
  const out: string[] = [];
  for (const ph of next.phases) {
    const before = prev?.phases.find((x) => x.name === ph.name);
    const changed = before?.status !== ph.status && ph.status !== 'pending';
    // A phase is announced before its hosts start, and declared done or waiting after they end.
    if (changed && ph.status === 'running') out.push(phaseLine(ph));
    for (const h of ph.hosts) {
      const hb = before?.hosts.find((x) => x.host === h.host);
      if (hb?.status === h.status && hb.attempts === h.attempts) continue;
      if (h.status === 'pending') continue;
      out.push(hostLine(ph, h));
    }
    if (changed && ph.status !== 'running') out.push(phaseLine(ph));
  }
  if (next.waiting && (!prev?.waiting || prev.waiting.error !== next.waiting.error || prev.waiting.hosts.join() !== next.waiting.hosts.join())) {
    out.push(...renderWaiting(next));
  }
  if (prev?.state !== next.state && (next.state === 'done' || next.state === 'aborted' || next.state === 'failed')) {
    out.push(`${next.cluster}: ${next.state}`);
  }
  return out;
}

function phaseLine(ph: PhaseProgress): string {
  return `[${ph.name}] ${ph.status}${ph.status === 'skipped' && ph.reason ? `: ${ph.reason}` : ''}`;
}

function hostLine(ph: PhaseProgress, h: HostProgress): string {
  const base = `[${ph.name}] ${h.host}: ${h.status}`;
  if (h.status === 'done') {
    const already = h.steps.filter((s) => s.status === 'already').length;
    return `${base} (${h.steps.length} steps${already ? `, ${already} already in place` : ''})`;
  }
  if (h.status === 'failed' || h.status === 'compensated') return `${base}: ${h.lastError ?? ''}`;
  return base;
}
