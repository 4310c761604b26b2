/**
 * `hakube lab fault HOST KIND [args...]`: every kind is a handler registered here. The
 * simulators add theirs (expire-tokens, kill-apiserver, ...) from lab/sim/faults.ts, which is
 * loaded when present and calls registerFault().
 */
import type { RunResult } from '../exec';
import type { LabHostState, LabState } from '../state';

export interface FaultContext {
  state: LabState;
  host: LabHostState;
  /** Words after the kind, options included (parse them with node:util parseArgs). */
  args: string[];
  /** Runs argv inside the host's namespaces as root (works while its sshd is stopped). */
  exec(argv: string[], opts?: { input?: string; timeoutMs?: number }): Promise<RunResult>;
}

export interface FaultHandler {
  kind: string;
  /** One line for `--help`, e.g. "kill DAEMON [--signal SIG]". */
  usage: string;
  /** Returns what to print (optional). Throw to fail the command. */
  run(ctx: FaultContext): Promise<string | void>;
}

const handlers = new Map<string, FaultHandler>();

export function registerFault(handler: FaultHandler): void {
  handlers.set(handler.kind, handler);
}

export function faultHandler(kind: string): FaultHandler | undefined {
  return handlers.get(kind);
}

export function faultUsages(): string[] {
  return [...handlers.values()].map((h) => h.usage);
}
