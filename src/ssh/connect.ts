/**
 * Opening one verified, authenticated ssh2 connection and translating ssh2's failures into the
 * typed errors of ./errors.ts.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { Client, type ConnectConfig } from 'ssh2';
import {
  HostKeyMismatchError,
  HostKeyUnknownError,
  SshAuthError,
  SshError,
  SshHandshakeError,
  SshTimeoutError,
  SshUnreachableError,
} from './errors';
import { checkHostKey, hostKeyAlgorithms, knownHostName, parseKnownHosts, type HostKeyVerdict, type KnownHostEntry } from './hostkeys';
import type { SshOptions, SshTarget } from './target';

/** Keepalive every 5 s, dropped after 2 unanswered: a silent partition is seen within ~15 s. */
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 5_000;
export const DEFAULT_KEEPALIVE_COUNT_MAX = 2;

export interface Endpoint {
  /** Name for errors: the inventory host, or `bastion for k2`. */
  label: string;
  address: string;
  port: number;
  user: string;
  fingerprint?: string;
}

/** The given file, or like ssh the user's and the system-wide one. */
function loadKnownHosts(path: string | undefined, label: string): KnownHostEntry[] {
  const files = path ? [path] : [join(homedir(), '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'];
  return files.flatMap((file) => {
    try {
      return parseKnownHosts(readFileSync(file, 'utf8'));
    } catch (err) {
      // A missing file vouches for nothing; checkHostKey then reports the key as unknown.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new HostKeyUnknownError(`${label}: cannot read known_hosts ${file}: ${(err as Error).message}`, label);
    }
  });
}

/** Key material stays in this process: read from a path or left to the agent, never passed around. */
function authConfig(target: SshTarget, label: string): Pick<ConnectConfig, 'privateKey' | 'agent'> {
  if (target.privateKeyPath) {
    try {
      return { privateKey: readFileSync(target.privateKeyPath) };
    } catch (err) {
      throw new SshAuthError(`${label}: cannot read private key ${target.privateKeyPath}: ${(err as Error).message}`, label);
    }
  }
  const sock = process.env.SSH_AUTH_SOCK;
  if (target.useAgent) {
    if (!sock) throw new SshAuthError(`${label}: useAgent is set but SSH_AUTH_SOCK is not`, label);
    return { agent: sock };
  }
  if (sock) return { agent: sock };
  for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    try {
      return { privateKey: readFileSync(join(homedir(), '.ssh', name)) };
    } catch {
      // try the next default key
    }
  }
  throw new SshAuthError(`${label}: no privateKeyPath, no agent and no default key in ~/.ssh`, label);
}

function classify(err: Error & { level?: string; code?: string }, ep: Endpoint, verdict: HostKeyVerdict | undefined): SshError {
  const where = `${ep.label} (${ep.user}@${ep.address}:${ep.port})`;
  if (verdict && !verdict.ok) {
    return verdict.kind === 'mismatch'
      ? new HostKeyMismatchError(`${where}: ${verdict.reason}`, ep.label)
      : new HostKeyUnknownError(`${where}: ${verdict.reason}`, ep.label);
  }
  switch (err.level) {
    case 'client-authentication':
    case 'agent':
      return new SshAuthError(`${where}: authentication refused: ${err.message}`, ep.label);
    case 'client-timeout':
      return new SshTimeoutError(`${where}: ${err.message}`, ep.label);
    case 'handshake':
    case 'protocol':
      return new SshHandshakeError(`${where}: ${err.message}`, ep.label);
    default:
      return new SshUnreachableError(`${where}: ${err.code ?? ''} ${err.message}`.replace(/\s+/g, ' '), ep.label);
  }
}

/**
 * Connect to `ep` (over `sock` when it is reached through a bastion). Resolves once authenticated;
 * rejects with a typed error. Host keys are checked against `target`'s known_hosts and `ep`'s pin.
 */
export function openClient(target: SshTarget, ep: Endpoint, opts: SshOptions, sock?: Duplex): Promise<Client> {
  const name = knownHostName(ep.address, ep.port);
  const entries = loadKnownHosts(target.knownHostsPath, ep.label);
  const auth = authConfig(target, ep.label);
  let verdict: HostKeyVerdict | undefined;
  return new Promise((resolve, reject) => {
    const client = new Client();
    const fail = (err: Error) => {
      client.removeAllListeners();
      client.on('error', () => {});
      client.end();
      reject(classify(err, ep, verdict));
    };
    const closed = () => fail(Object.assign(new Error('connection closed during handshake'), { level: 'client-socket' }));
    client.once('ready', () => {
      client.removeListener('error', fail);
      client.removeListener('close', closed);
      resolve(client);
    });
    client.once('error', fail);
    client.once('close', closed);
    try {
      client.connect({
        ...auth,
        host: ep.address,
        port: ep.port,
        username: ep.user,
        sock,
        readyTimeout: opts.readyTimeoutMs ?? 20_000,
        // A silent partition (no RST, no FIN) is only seen by keepalives going unanswered.
        keepaliveInterval: opts.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS,
        keepaliveCountMax: opts.keepaliveCountMax ?? DEFAULT_KEEPALIVE_COUNT_MAX,
        algorithms: { serverHostKey: hostKeyAlgorithms(entries, name) as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
        hostVerifier: (key: Buffer) => {
          verdict = checkHostKey(key, name, { entries, fingerprint: ep.fingerprint });
          return verdict.ok;
        },
      });
    } catch (err) {
      // ssh2 throws synchronously on an unparsable private key.
      reject(new SshAuthError(`${ep.label}: ${(err as Error).message}`, ep.label));
    }
  });
}
