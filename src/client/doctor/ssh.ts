/**
 * The SSH side of `hakube doctor`, for a spec: the private key the worker will read is there,
 * readable and private (ssh refuses a key others can read), and every host (and the bastion)
 * has a known_hosts entry, since hakube never accepts an unknown host key. Paths resolve from
 * the current directory, as `hakube deploy` resolves them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { utils } from 'ssh2';
import { hostRanges } from '../../plan/groups';
import type { Cluster } from '../../spec/types';
import { hostMatches, knownHostName, parseKnownHosts, type KnownHostEntry } from '../../ssh/hostkeys';
import { ok, problem, type CheckResult } from './check';

export function sshKeyCheck(spec: Cluster, env: NodeJS.ProcessEnv = process.env): CheckResult {
  const name = 'ssh key';
  const keyPath = spec.spec.ssh.privateKeyPath;
  if (!keyPath) {
    const sock = env.SSH_AUTH_SOCK;
    if (sock && fs.existsSync(sock)) return ok(name, `no spec.ssh.privateKeyPath: the worker uses the agent at ${sock}`);
    return problem(name, 'no spec.ssh.privateKeyPath and no SSH agent (SSH_AUTH_SOCK)', 'set spec.ssh.privateKeyPath to the key the hosts accept, or run the worker with an ssh-agent');
  }
  const file = path.resolve(keyPath);
  let st: fs.Stats;
  let text: Buffer;
  try {
    st = fs.statSync(file);
    text = fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return problem(name, `${keyPath} does not exist`, 'fix spec.ssh.privateKeyPath (relative paths start from where you run hakube)');
    return problem(name, `${keyPath} cannot be read (${code})`, `make it readable by the user that runs the worker: chown $(id -un) ${file}`);
  }
  const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
  if (st.mode & 0o077) return problem(name, `${keyPath} has mode ${mode}: others can read it, and ssh refuses such keys`, `chmod 600 ${file}`);
  const parsed = utils.parseKey(text);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key instanceof Error) {
    const encrypted = /passphrase/i.test(key.message);
    return problem(
      name,
      `${keyPath} is not a usable private key: ${key.message}`,
      encrypted ? 'use a key without a passphrase, or leave privateKeyPath unset and run the worker with an ssh-agent holding it' : 'point spec.ssh.privateKeyPath at the private key (not the .pub file)',
    );
  }
  if (!key.isPrivateKey()) return problem(name, `${keyPath} holds a public key`, 'point spec.ssh.privateKeyPath at the private key (not the .pub file)');
  return ok(name, `${keyPath} (${key.type}, mode ${mode})`);
}

export function knownHostsCheck(spec: Cluster): CheckResult {
  const name = 'known_hosts';
  const ssh = spec.spec.ssh;
  const files = ssh.knownHostsPath ? [path.resolve(ssh.knownHostsPath)] : [path.join(os.homedir(), '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'];
  const shown = ssh.knownHostsPath ?? files.join(' and ');
  const entries: KnownHostEntry[] = [];
  for (const f of files) {
    try {
      entries.push(...parseKnownHosts(fs.readFileSync(f, 'utf8')));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return problem(name, `cannot read ${f}: ${(err as Error).message}`, `make ${f} readable by the user that runs the worker`);
    }
  }
  // A pinned fingerprint alone decides whether a host key is accepted: such a host needs no entry.
  const all = [
    ...(ssh.bastion ? [{ label: `bastion ${ssh.bastion.address}`, address: ssh.bastion.address, port: ssh.bastion.port, pinned: !!ssh.bastion.hostKeyFingerprint }] : []),
    ...spec.spec.hosts.map((h) => ({ label: h.name, address: h.address, port: ssh.port, pinned: !!h.hostKeyFingerprint })),
  ];
  const pinned = all.filter((t) => t.pinned).length;
  const targets = all.filter((t) => !t.pinned);
  const known = (t: { address: string; port: number }) => entries.some((e) => e.marker === undefined && hostMatches(e.hosts, knownHostName(t.address, t.port)));
  const missing = targets.filter((t) => !known(t));
  if (missing.length === 0) {
    const inFile = targets.length ? `all ${targets.length} ${targets.length === 1 ? 'host' : 'hosts'} in ${shown}` : 'no host relies on known_hosts';
    return ok(name, `${inFile}${pinned ? `; ${pinned} pinned by hostKeyFingerprint in the spec` : ''}`);
  }
  const byPort = new Map<number, string[]>();
  for (const t of missing) byPort.set(t.port, [...(byPort.get(t.port) ?? []), t.address]);
  const scan = [...byPort].map(([port, addrs]) => `ssh-keyscan -p ${port} ${addrs.join(' ')} >> ${ssh.knownHostsPath ?? '~/.ssh/known_hosts'}`);
  return problem(
    name,
    `no entry for ${hostRanges(missing.map((t) => t.label))} (${missing.length} of ${targets.length}) in ${shown}: hakube refuses unknown host keys`,
    `add them, after checking the fingerprints with each host's owner: ${scan.join('; ')} (or pin each host's key with hostKeyFingerprint in the spec)`,
  );
}
