/**
 * Full per-host detail, for when the board's summary is not enough: `status --wide` lists every
 * host of every phase on its own line, `status --host H` every step of one host.
 */
import type { Progress } from '../workflows/defs';
import { currentStep, formatDuration, phaseTiming } from './board';
import { renderWaiting } from './render';
import { hostStatusWord } from './hang';

const MARK: Record<string, string> = { pending: '·', running: '…', done: '✓', already: '✓', failed: '✗', compensated: '↺', skipped: '-' };

function hostTime(h: { startedAt?: number; endedAt?: number }, now: number): string {
  return h.startedAt === undefined ? '' : `  ${formatDuration((h.endedAt ?? now) - h.startedAt)}`;
}

export function renderWide(p: Progress, now: number): string[] {
  const lines = [`${p.cluster}: ${p.state}${p.phase && p.state !== 'done' ? ` (phase ${p.phase})` : ''}`];
  for (const ph of p.phases) {
    const timing = phaseTiming(ph, now);
    lines.push(`${ph.name}: ${ph.status}${ph.status === 'skipped' && ph.reason ? ` (${ph.reason})` : ''}${timing ? `  ${timing}` : ''}`);
    for (const h of ph.hosts) {
      let what = '';
      if (h.status === 'running') what = currentStep(h) ?? '';
      else if (h.status === 'failed' || h.status === 'compensated') what = h.lastError ?? '';
      else if (h.status === 'done') what = `${h.steps.length} steps`;
      const attempt = h.attempts > 1 ? ` (attempt ${h.attempts})` : '';
      lines.push(`  ${MARK[h.status]} ${h.host.padEnd(12)} ${hostStatusWord(h).padEnd(11)} ${what}${attempt}${hostTime(h, now)}`.trimEnd());
    }
  }
  if (p.waiting) lines.push(...renderWaiting(p));
  if (p.error) lines.push(`error: ${p.error}`);
  return lines;
}

/** Every phase the host takes part in, each step with its status, attempts, error and output tail. */
export function renderHost(p: Progress, host: string, now: number): string[] | undefined {
  const phases = p.phases.filter((ph) => ph.hosts.some((h) => h.host === host));
  if (phases.length === 0) return undefined;
  const lines = [`${host} in ${p.cluster}`];
  for (const ph of phases) {
    const h = ph.hosts.find((x) => x.host === host)!;
    const attempt = h.attempts > 1 ? `, attempt ${h.attempts}` : '';
    lines.push(`${ph.name}: ${hostStatusWord(h)}${attempt}${hostTime(h, now)}${h.lastError ? `  last error: ${h.lastError}` : ''}`);
    for (const s of h.steps) {
      const tries = s.attempts > 1 ? ` (${s.attempts} attempts)` : '';
      lines.push(`  ${MARK[s.status] ?? '?'} ${s.title}: ${s.status}${tries}${s.lastError ? ` - ${s.lastError}` : ''}`);
      const tail = s.tail?.trim().split('\n').slice(-3) ?? [];
      if (s.status !== 'pending' && tail.length && tail[0]) for (const t of tail) lines.push(`      ${t}`);
    }
  }
  return lines;
}
