/**
 * SSH material: the lab's client key (where the spec's spec.ssh.privateKeyPath points), each
 * host's own ed25519 host key, and a known_hosts with those real keys so that clients can keep
 * StrictHostKeyChecking on.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pool, run } from './exec';
import { clusterDir } from './paths';
import { authorizedKeysPath } from './sshd';
import type { LabState } from './state';
import { hostPaths } from './host';

export function defaultKeyPaths(cluster: string, ssh: { privateKeyPath?: string; knownHostsPath?: string }) {
  return {
    privateKeyPath: resolve(ssh.privateKeyPath ?? join(clusterDir(cluster), 'ssh', 'id_ed25519')),
    knownHostsPath: resolve(ssh.knownHostsPath ?? join(clusterDir(cluster), 'ssh', 'known_hosts')),
  };
}

async function keygen(path: string, comment: string): Promise<void> {
  if (existsSync(path)) return;
  mkdirSync(dirname(path), { recursive: true });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

export async function ensureClientKey(state: LabState): Promise<void> {
  await keygen(state.privateKeyPath, `hakube-lab-${state.cluster}`);
  const pub = existsSync(`${state.privateKeyPath}.pub`)
    ? readFileSync(`${state.privateKeyPath}.pub`, 'utf8')
    : await run('ssh-keygen', ['-y', '-f', state.privateKeyPath]);
  mkdirSync(dirname(authorizedKeysPath(state.cluster)), { recursive: true });
  writeFileSync(authorizedKeysPath(state.cluster), pub.endsWith('\n') ? pub : `${pub}\n`);
}

export async function ensureHostKeys(state: LabState): Promise<void> {
  await pool(state.hosts, 8, (h) => keygen(hostPaths(h).hostKey, `root@${h.name}`));
}

/** Both forms ssh looks up: `address` (port 22) and `[address]:port`. */
export function writeKnownHosts(state: LabState): void {
  const lines: string[] = [];
  for (const h of state.hosts) {
    const [type, key] = readFileSync(`${hostPaths(h).hostKey}.pub`, 'utf8').trim().split(/\s+/);
    lines.push(`${h.address} ${type} ${key}`, `[${h.address}]:${state.sshPort} ${type} ${key}`);
  }
  mkdirSync(dirname(state.knownHostsPath), { recursive: true });
  writeFileSync(state.knownHostsPath, `${lines.join('\n')}\n`);
}
