/**
 * Where a lab keeps its files and how its kernel objects are named. Names derive from a hash of
 * the cluster (and host) name, so they fit Linux's 15-character interface names and two labs
 * never share one; they are stable, so `lab down` finds them even without a state file.
 */
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { PROJECT_ROOT } from '../src/temporal/paths';

/** HAKUBE_LAB_ROOT moves every lab's files (default `.lab` under the current directory). */
export function labRoot(): string {
  return resolve(process.env.HAKUBE_LAB_ROOT ?? '.lab');
}

export function clusterDir(cluster: string): string {
  return join(labRoot(), cluster);
}

export function hostDir(cluster: string, host: string): string {
  return join(clusterDir(cluster), 'hosts', host);
}

export function statePath(cluster: string): string {
  return join(clusterDir(cluster), 'state.json');
}

/** The simulators (another issue), mounted on every host's /usr/local/bin when built. */
export function labBinDir(): string {
  return resolve(process.env.HAKUBE_LAB_BIN ?? join(PROJECT_ROOT, '.tools', 'lab-bin'));
}

const hash = (s: string, n: number) => createHash('sha256').update(s).digest('hex').slice(0, n);

export const NAME_PREFIX = { netns: 'hkl-', bridge: 'hkb-', veth: 'hkv' } as const;

export function clusterTag(cluster: string): string {
  return hash(cluster, 6);
}

export function bridgeName(cluster: string): string {
  return `${NAME_PREFIX.bridge}${clusterTag(cluster)}`;
}

export function netnsName(cluster: string, host: string): string {
  return `${NAME_PREFIX.netns}${clusterTag(cluster)}-${host}`;
}

/** The bridge side of a host's veth pair (the host side is `eth0` inside its netns). */
export function vethName(cluster: string, host: string): string {
  return `${NAME_PREFIX.veth}${clusterTag(cluster)}${hash(`${cluster}/${host}`, 6)}`;
}
