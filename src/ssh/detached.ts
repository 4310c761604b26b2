/**
 * Long commands run detached on their host (see the scripts in ./remote.ts): the copy outlives
 * the SSH channel and the worker, a new attempt re-attaches to it or reads its result, and a
 * per-host, per-step flock keeps a second copy from ever running beside it. The channel that
 * follows a copy carries its output and a liveness line every few seconds; losing that channel
 * loses nothing on the host.
 */
import type { RunOptions, RunResult, SshConnection } from './connection';
import { CommandAbortedError, CommandFailedError, CommandLostError, InvalidCommandError, StepHangError } from './errors';
import { commandLine } from './quote';
import { DETACHED_ATTACH, DETACHED_BUSY, DETACHED_FORGET, DETACHED_RUNNER, DETACHED_START, DETACHED_STOP } from './remote';


export interface DetachedOptions extends Pick<RunOptions, 'runtime' | 'secrets' | 'okExitCodes' | 'onOutput' | 'signal'> {
  /** Stable per host and step, e.g. `join-masters/k2/kubeadm-join#0`. */
  key: string;
  /** Which run this attempt belongs to: a finished result is taken only by the run that started it. */
  owner: string;
  /** Seconds from the copy's start (on the host's clock) after which it counts as hung and is stopped; 0 = none. */
  timeoutSeconds?: number;
  /** Called on each liveness line from the host while the copy runs. */
  onAlive?: (ageSeconds: number) => void;
  /**
   * Asked when `signal` aborts: true leaves the copy running for the next attempt (the worker is
   * shutting down), false stops it (the run was cancelled or aborted).
   */
  keepRunningOnAbort?: () => boolean;
}

/** A systemd unit name (and directory name) for a key: letters, digits and `._-` only. */
export function detachedName(key: string): string {
  return `hakube-${key.replace(/[/#]/g, '.').replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

export const detachedDir = (conn: SshConnection, key: string) => `${conn.detachedRoot}/${detachedName(key)}`;

/** Index of the first key whose copy is running on the host, or -1. */
export async function runningIndex(conn: SshConnection, keys: readonly string[]): Promise<number> {
  if (!keys.length) return -1;
  const r = await conn.run(['sh', '-c', DETACHED_BUSY, 'sh', ...keys.map((k) => detachedDir(conn, k))]);
  const n = Number.parseInt(r.stdoutTail.trim(), 10);
  return Number.isInteger(n) ? n : -1;
}

export async function forgetResults(conn: SshConnection, keys: readonly string[]): Promise<void> {
  if (keys.length) await conn.run(['sh', '-c', DETACHED_FORGET, 'sh', ...keys.map((k) => detachedDir(conn, k))]);
}

export async function stopDetached(conn: SshConnection, key: string): Promise<void> {
  await conn.run(['sh', '-c', DETACHED_STOP, 'sh', detachedDir(conn, key), detachedName(key)]);
}

/** The last protocol line the attach script wrote on stderr. */
function verdict(stderr: string): { kind: 'exit'; code: number } | { kind: 'lost' } | { kind: 'hang'; age: number } | undefined {
  const lines = stderr.trim().split('\n').reverse();
  for (const l of lines) {
    let m = /^exit (\d+)$/.exec(l);
    if (m) return { kind: 'exit', code: Number(m[1]) };
    if (l === 'lost') return { kind: 'lost' };
    m = /^hang (\d+)$/.exec(l);
    if (m) return { kind: 'hang', age: Number(m[1]) };
  }
  return undefined;
}

export async function runDetached(conn: SshConnection, argv: readonly string[], opts: DetachedOptions): Promise<RunResult> {
  const host = conn.target.host;
  if (!argv.length) throw new InvalidCommandError(`${host}: empty command`, host);
  // Placeholders stay unfilled here: what errors show never holds a runtime value.
  const display = commandLine(argv);
  const dir = detachedDir(conn, opts.key);
  const name = detachedName(opts.key);
  const common = { runtime: opts.runtime, secrets: opts.secrets };
  await conn.run(['sh', '-c', DETACHED_START, 'sh', dir, name, opts.owner, DETACHED_RUNNER, ...argv], { ...common, signal: opts.signal });
  let attached: RunResult;
  try {
    attached = await conn.run(['sh', '-c', DETACHED_ATTACH, 'sh', dir, String(Math.max(0, Math.ceil(opts.timeoutSeconds ?? 0)))], {
      ...common,
      signal: opts.signal,
      onOutput: (stream, text) => {
        if (stream === 'stdout') return opts.onOutput?.(stream, text);
        for (const m of text.matchAll(/^alive (\d+)$/gm)) opts.onAlive?.(Number(m[1]));
      },
    });
  } catch (err) {
    if (err instanceof CommandAbortedError && !opts.keepRunningOnAbort?.()) await stopDetached(conn, opts.key);
    throw err;
  }
  const v = verdict(attached.stderrTail);
  if (!v) throw new CommandLostError(`${host}: ${display}: no status from its detached copy`, host);
  if (v.kind === 'lost') throw new CommandLostError(`${host}: ${display}: its detached copy ended without an exit status (host restarted or process killed)`, host);
  if (v.kind === 'hang') {
    await stopDetached(conn, opts.key);
    throw new StepHangError(`${host}: hang: ${display} had not finished after ${v.age} s (timeout ${opts.timeoutSeconds} s); stopped it`, host);
  }
  const result: RunResult = { exitCode: v.code, stdoutTail: attached.stdoutTail, stderrTail: '' };
  if (!(opts.okExitCodes ?? [0]).includes(v.code)) throw new CommandFailedError(host, v.code, undefined, display, '', attached.stdoutTail);
  return result;
}
