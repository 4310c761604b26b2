/**
 * Did an injected fault fire, and in the phase it was aimed at? A command fault is armed before
 * the run and fires wherever its command first runs on that host: a target whose command also
 * runs in an earlier or later phase puts the fault there, and the aimed-at cell then asserts
 * nothing. The host's command log (each line timed to the second) against the phases' start and
 * end (workflow time) settles it. Pure: the harness reads the logs and the progress.
 */
import type { PhaseName } from '../../src/plan/types';
import type { CommandLogEntry } from '../e2e/deploy-support';

export interface PhaseWindow {
  name: PhaseName;
  startedAt?: number;
  endedAt?: number;
}

/**
 * The phase that was running at `at`, a command log time (whole seconds, rounded down: a phase
 * counts from the start of its first second, so the second one phase ends and the next starts
 * in names the earlier). A phase not yet ended runs until `now`.
 */
export function phaseAt(phases: readonly PhaseWindow[], at: number, now = Date.now()): PhaseName | undefined {
  return phases.find((p) => within(p, at, now))?.name;
}

/** Whether `at` (whole seconds) falls in the phase; the second a phase starts in is its own. */
function within(p: PhaseWindow | undefined, at: number, now: number): boolean {
  return p?.startedAt !== undefined && at >= Math.floor(p.startedAt / 1000) * 1000 && at <= (p.endedAt ?? now);
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

export interface Fired {
  /** The log line that shows the fault, e.g. "k1 04:41:07 fail: systemctl restart etcd". */
  evidence: string;
  /** Set when the fault fired outside its phase: the cell asserted nothing and fails. */
  wrongPhase?: string;
}

/**
 * Judges the matching log entries of one target: `first` is the fault's own mark (the first
 * failed or hung call, or the first new run a kill waited for), `all` every mark that must lie in
 * the phase too (every injected failure or hang). Undefined when the fault never fired.
 */
export function judgeFired(host: string, phase: PhaseName, phases: readonly PhaseWindow[], first: CommandLogEntry | undefined, all: readonly CommandLogEntry[] = first ? [first] : [], now = Date.now()): Fired | undefined {
  if (!first) return undefined;
  const show = (e: CommandLogEntry) => `${host} ${clock(e.at)} ${e.action}: ${e.line}`;
  const win = phases.find((p) => p.name === phase);
  const span = win?.startedAt !== undefined ? ` (${phase} ran ${clock(win.startedAt)}-${win.endedAt !== undefined ? clock(win.endedAt) : 'on'})` : ` (${phase} never started)`;
  for (const e of [first, ...all]) {
    if (within(win, e.at, now)) continue;
    const inPhase = phaseAt(phases, e.at, now);
    return { evidence: show(first), wrongPhase: `the fault fired in ${inPhase ?? 'no phase'}, not in ${phase}: ${show(e)}${span}` };
  }
  return { evidence: `${show(first)}${span}` };
}
