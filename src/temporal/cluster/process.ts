/**
 * The cluster's long-running programs (temporal-server, the Web UI server) as detached
 * processes with pid files, so `stop` ends exactly the process it started and nothing else.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { alive, pidFromFile, stopPid } from '../pids';

export { alive, stopPid };

export interface Detached {
  binary: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  pidFile: string;
  logFile: string;
  cwd?: string;
}

/** Starts `d` detached with its output appended to its log; returns the pid and how it ended, if it did. */
export function spawnDetached(d: Detached): { pid: number; exited: () => string | undefined } {
  const log = fs.openSync(d.logFile, 'a', 0o600);
  let exited: string | undefined;
  try {
    const child = spawn(d.binary, d.args, { detached: true, stdio: ['ignore', log, log], env: d.env, cwd: d.cwd });
    if (child.pid === undefined) throw new Error(`could not start ${d.binary}`);
    child.on('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
    child.on('error', (err) => (exited = err.message));
    child.unref();
    fs.writeFileSync(d.pidFile, `${child.pid}\n`, { mode: 0o600 });
    return { pid: child.pid, exited: () => exited };
  } finally {
    fs.closeSync(log);
  }
}

export function lastLines(file: string, n = 3): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-n).join(' | ').slice(0, 600);
  } catch {
    return 'no log';
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The pid in `pidFile` if that process is alive and still runs `binary`; a stale file is removed. */
export function runningPid(pidFile: string, binary: string): number | undefined {
  return pidFromFile(pidFile, (argv) => argv[0] === binary);
}
