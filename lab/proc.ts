/**
 * Processes of lab hosts, found the way `ip netns pids` finds them (a process belongs to a host
 * when its network namespace is the host's), never by name.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { sleep } from './exec';

function nsInode(netns: string): number | undefined {
  try {
    return statSync(`/run/netns/${netns}`).ino;
  } catch {
    return undefined;
  }
}

export function netnsExists(netns: string): boolean {
  return existsSync(`/run/netns/${netns}`);
}

function pidNetInode(pid: number): number | undefined {
  try {
    const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/net`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Pids per network namespace name, from one pass over /proc. */
export function pidsByNetns(names: string[]): Map<string, number[]> {
  const byInode = new Map<number, string>();
  const out = new Map<string, number[]>();
  for (const n of names) {
    out.set(n, []);
    const ino = nsInode(n);
    if (ino !== undefined) byInode.set(ino, n);
  }
  if (byInode.size === 0) return out;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const ino = pidNetInode(pid);
    const name = ino === undefined ? undefined : byInode.get(ino);
    if (name) out.get(name)!.push(pid);
  }
  return out;
}

export function netnsPids(netns: string): number[] {
  return pidsByNetns([netns]).get(netns) ?? [];
}

/** True when pid is alive (not a zombie) and inside the given network namespace. */
export function pidInNetns(pid: number | undefined, netns: string): boolean {
  if (!pid) return false;
  const ino = nsInode(netns);
  if (ino === undefined || pidNetInode(pid) !== ino) return false;
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

export function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** Resident memory in KiB (0 when gone). */
export function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function gone(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

/** Signals each pid and waits until all are gone (or zombies awaiting their parent). */
export async function killAndWait(pids: number[], signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 5000): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + timeoutMs;
  while (pids.some((p) => !gone(p))) {
    if (Date.now() > deadline) throw new Error(`processes did not exit after ${signal}: ${pids.filter((p) => !gone(p)).join(' ')}`);
    await sleep(10);
  }
}
