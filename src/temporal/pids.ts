/**
 * Processes hakube starts in the background (dev server, codec server, worker, the PostgreSQL
 * cluster's parts) are known by pid files. These helpers end only the process a file names, and
 * only while it is still ours: a pid the kernel has since given to another program is left alone.
 */
import * as fs from 'node:fs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !isZombie(pid);
}

/**
 * A zombie still "exists" for kill(0) until its parent reaps it (a killed child whose parent
 * died waits for init): it runs nothing. Without a /proc entry to read, not known to be one.
 */
export function isZombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The process's argv from /proc, or undefined where there is no /proc to ask. */
export function argvOf(pid: number): string[] | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

/**
 * The pid in `file` if that process is alive and `ours(argv)` says it is still the program that
 * wrote it (no /proc: the file is trusted); otherwise a stale file is removed.
 */
export function pidFromFile(file: string, ours: (argv: string[]) => boolean): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
    const argv = argvOf(pid);
    if (!argv || ours(argv)) return pid;
  }
  fs.rmSync(file, { force: true });
  return undefined;
}

/** SIGTERM, then SIGKILL after `waitMs`; resolves once the process is gone. */
export async function stopPid(pid: number, waitMs = 20_000): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline && alive(pid)) await sleep(100);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  while (alive(pid)) await sleep(50);
}
