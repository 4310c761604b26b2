/** `.lab/<cluster>/state.json`: what `lab up` made, read back by status, down, ssh and faults. */
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labRoot, statePath } from './paths';

export interface LabHostState {
  name: string;
  address: string;
  roles: string[];
  netns: string;
  veth: string;
  dir: string;
  /** Holds the host's mount and UTS namespaces: lives as long as the host is "powered on". */
  holderPid?: number;
  sshdPid?: number;
}

export interface LabState {
  cluster: string;
  specPath?: string;
  /** e.g. 172.16.10.0/24 */
  subnet: string;
  bridge: string;
  bridgeAddress: string;
  vip?: string;
  sshUser: string;
  sshPort: number;
  privateKeyPath: string;
  knownHostsPath: string;
  hosts: LabHostState[];
}

export function readState(cluster: string): LabState | undefined {
  const p = statePath(cluster);
  if (!existsSync(p)) return undefined;
  return JSON.parse(readFileSync(p, 'utf8')) as LabState;
}

export function writeState(state: LabState): void {
  const p = statePath(state.cluster);
  const tmp = `${p}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, p);
}

/**
 * Records one host's pids, re-reading the file first: fault commands on different hosts of a
 * lab may run at once from different processes, and none must undo another's update.
 */
export function writeHostState(cluster: string, h: LabHostState): void {
  const fresh = readState(cluster);
  if (!fresh) return;
  fresh.hosts = fresh.hosts.map((x) => (x.name === h.name ? { ...h } : x));
  writeState(fresh);
}

/** Every lab with a state file under the lab root. */
export function listLabs(): LabState[] {
  const root = labRoot();
  if (!existsSync(root)) return [];
  const out: LabState[] = [];
  for (const name of readdirSync(root)) {
    if (!existsSync(join(root, name, 'state.json'))) continue;
    const s = readState(name);
    if (s) out.push(s);
  }
  return out;
}

export function findHost(state: LabState, host: string): LabHostState {
  const h = state.hosts.find((x) => x.name === host || x.address === host);
  if (!h) throw new Error(`lab ${state.cluster} has no host ${host} (hosts: ${state.hosts.map((x) => x.name).join(', ')})`);
  return h;
}
