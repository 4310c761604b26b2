/**
 * A real OpenSSH sshd on 127.0.0.1 for the SSH layer's tests: throwaway host keys, one client key
 * in authorized_keys, logs kept in memory so tests can count accepted connections. stop() ends
 * only the sshd this helper started, by its PID.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Sshd {
  port: number;
  dir: string;
  /** Client private key accepted by this sshd. */
  clientKeyPath: string;
  /** Host public key lines (`type base64`), ed25519 first. */
  hostKeys: string[];
  /** Lines sshd logged so far. */
  log(): string;
  /** How many TCP connections sshd has accepted so far. */
  connections(): number;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function keygen(path: string, type = 'ed25519'): string {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'hakube-test', '-f', path]);
  return readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

export async function startSshd(): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'hakube-sshd-'));
  const hostKeys = [keygen(join(dir, 'host_ed25519'), 'ed25519'), keygen(join(dir, 'host_ecdsa'), 'ecdsa')];
  const clientKeyPath = join(dir, 'client');
  writeFileSync(join(dir, 'authorized_keys'), `${keygen(clientKeyPath)}\n`);
  // Debian's sshd refuses to start without its privilege-separation directory.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_ed25519')}`,
    `HostKey ${join(dir, 'host_ecdsa')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    'UsePAM no',
    'StrictModes no',
    'PermitRootLogin yes',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'AllowTcpForwarding yes',
    'LogLevel VERBOSE',
    'MaxStartups 100',
  ];
  writeFileSync(join(dir, 'sshd_config'), `${config.join('\n')}\n`);

  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => (log += s));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`sshd did not start:\n${log}`)), 10_000);
    const poll = setInterval(() => {
      if (log.includes('Server listening')) {
        clearInterval(poll);
        clearTimeout(deadline);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(poll);
        clearTimeout(deadline);
        reject(new Error(`sshd exited ${child.exitCode}:\n${log}`));
      }
    }, 20);
  });

  return {
    port,
    dir,
    clientKeyPath,
    hostKeys,
    log: () => log,
    connections: () => (log.match(/^Connection from /gm) ?? []).length,
    async stop() {
      if (child.exitCode === null && child.pid) {
        process.kill(child.pid, 'SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
