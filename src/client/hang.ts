/**
 * A hang is named as such wherever a host's state is shown: a step that outlived its planned
 * timeout fails as `StepHang` ("<host>: hang: ..."), which the workflow records as the host's
 * last error, and a retrying activity reports it as the last failure of its pending attempt.
 */
import type { HostProgress } from '../workflows/defs';

const HANG = /^(StepHang: )?\S+: hang: /;

export function isHang(message: string | undefined): boolean {
  return !!message && HANG.test(message);
}

/** The status word for a host: `hung` (failed), `running, hung before` (retrying), or its status. */
export function hostStatusWord(h: HostProgress): string {
  if (!isHang(h.lastError)) return h.status;
  if (h.status === 'running') return 'running (HUNG before: retrying)';
  if (h.status === 'failed') return 'HUNG';
  if (h.status === 'compensated') return 'HUNG, compensated';
  return h.status;
}
