/**
 * A host's sshd_config: a stock OpenSSH server that only takes the lab's key. Its files live in
 * the host's own /etc/ssh/hakube-lab (written into the /etc overlay's upper dir before boot), so
 * sshd finds them wherever the checkout is, even under a /tmp or /root the host replaces.
 */
import { join } from 'node:path';
import { clusterDir } from './paths';
import type { LabHostState, LabState } from './state';

/** Inside the host. */
export const HOST_SSH_DIR = '/etc/ssh/hakube-lab';

export function authorizedKeysPath(cluster: string): string {
  return join(clusterDir(cluster), 'ssh', 'authorized_keys');
}

export function sshdConfig(state: LabState, h: LabHostState): string {
  return [
    `# hakube lab host ${h.name}`,
    `Port ${state.sshPort}`,
    `HostKey ${HOST_SSH_DIR}/ssh_host_ed25519_key`,
    'PidFile none',
    'UseDNS no',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    `AuthorizedKeysFile ${HOST_SSH_DIR}/authorized_keys`,
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
