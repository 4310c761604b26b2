/** A host's sshd_config: a stock OpenSSH server that only takes the lab's key. */
import { join } from 'node:path';
import { clusterDir } from './paths';
import type { LabHostState, LabState } from './state';

export function authorizedKeysPath(cluster: string): string {
  return join(clusterDir(cluster), 'ssh', 'authorized_keys');
}

export function sshdConfig(state: LabState, h: LabHostState): string {
  return [
    `# hakube lab host ${h.name}`,
    `Port ${state.sshPort}`,
    `HostKey ${join(h.dir, 'sshd', 'ssh_host_ed25519_key')}`,
    'PidFile none',
    'UseDNS no',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    `AuthorizedKeysFile ${authorizedKeysPath(state.cluster)}`,
    // The lab's files live in a checkout whose parent directories the lab does not own.
    'StrictModes no',
    // hakube opens many sessions at once (parallel steps, heartbeats): do not drop them.
    'MaxStartups 200:30:400',
    'MaxSessions 64',
    'PrintMotd no',
    'X11Forwarding no',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    'LogLevel ERROR',
    '',
  ].join('\n');
}
