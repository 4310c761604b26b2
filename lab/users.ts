/**
 * Extra login users on a lab host, for testing hakube as a non-root SSH user. The lab's sshd
 * reads one AuthorizedKeysFile for every user, so a new user logs in with the lab key as root
 * does once it may read that file. `sudo: true` gives it password-less sudo (a drop-in in the host's own /etc/sudoers.d);
 * `false` leaves it without any sudo right.
 */
import { hostExec } from './access';
import { HOST_SSH_DIR } from './sshd';

const USER = /^[a-z_][a-z0-9_-]{0,31}$/;

export async function addLabUser(cluster: string, host: string, name: string, opts: { sudo: boolean }): Promise<void> {
  if (!USER.test(name) || name === 'root') throw new Error(`not a user name for a lab host: ${JSON.stringify(name)}`);
  // '*' rather than useradd's locked '!': sshd without PAM refuses every login to a locked account.
  const dropIn = `/etc/sudoers.d/hakube-lab-${name}`;
  const script = [
    'set -eu',
    // Home under /var/lib, which the host overlays: the machine's own /home stays untouched.
    `id -u "$1" >/dev/null 2>&1 || { mkdir -p /var/lib/hakube-lab-home && useradd -m -d "/var/lib/hakube-lab-home/$1" -s /bin/sh -p '*' "$1"; }`,
    // sshd reads authorized keys with the user's own rights: public keys may be world-readable.
    `chmod 0644 ${HOST_SSH_DIR}/authorized_keys`,
    opts.sudo
      ? `mkdir -p /etc/sudoers.d && printf '%s ALL=(ALL) NOPASSWD: ALL\\n' "$1" > ${dropIn}.tmp && chmod 0440 ${dropIn}.tmp && mv ${dropIn}.tmp ${dropIn}`
      : `rm -f ${dropIn}`,
  ].join('\n');
  const r = await hostExec(cluster, host, ['sh', '-c', script, 'sh', name]);
  if (r.code !== 0) throw new Error(`adding user ${name} on ${host} of lab ${cluster} failed: ${r.stderr.trim()}`);
}
