/** One readiness check of `hakube doctor`: what it saw, and when something is wrong, the fix. */
export interface CheckResult {
  name: string;
  ok: boolean;
  /** What was found, in words. */
  detail: string;
  /** The command or change that fixes it (problems only). */
  fix?: string;
}

export const ok = (name: string, detail: string): CheckResult => ({ name, ok: true, detail });
export const problem = (name: string, detail: string, fix: string): CheckResult => ({ name, ok: false, detail, fix });
