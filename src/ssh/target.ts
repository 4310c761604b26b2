import type { Duplex } from 'node:stream';

/** Where and how to reach one host. Contains paths and fingerprints only: never key material. */
export interface SshBastion {
  address: string;
  port: number;
  user: string;
  /** Pinned `SHA256:...` fingerprint of the bastion; otherwise the target's known_hosts vouches for it. */
  hostKeyFingerprint?: string;
}

export interface SshTarget {
  /** Inventory name (k1, k2...), used in errors and logs. */
  host: string;
  address: string;
  port: number;
  user: string;
  /** Private key file, read by the worker at connect time. */
  privateKeyPath?: string;
  /** Authenticate with the agent at $SSH_AUTH_SOCK. */
  useAgent?: boolean;
  /** Defaults to ~/.ssh/known_hosts plus /etc/ssh/ssh_known_hosts. */
  knownHostsPath?: string;
  /** Pinned `SHA256:...` fingerprint; when set it alone decides whether the host key is accepted. */
  hostKeyFingerprint?: string;
  /** Reach the host through this jump host (its connection is pooled and verified too). */
  bastion?: SshBastion;
  /** `user` is not root: every command runs through `sudo -n`, which must not ask for a password. */
  sudo?: boolean;
}

/** What a pino logger offers; the SSH layer logs only masked text. */
export interface SshLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SshOptions {
  /** Handshake timeout (default 20 s). */
  readyTimeoutMs?: number;
  /** Keepalive period (default 5 s). */
  keepaliveIntervalMs?: number;
  /** Unanswered keepalives after which the connection counts as lost (default 2). */
  keepaliveCountMax?: number;
  /** Most channels open at once on one connection; OpenSSH's MaxSessions defaults to 10. */
  maxChannels?: number;
  logger?: SshLogger;
  /** Where detached commands keep their state on the hosts (default /var/lib/hakube/run). */
  detachedDir?: string;
  /** A pooled connection unused this long is closed (default 60 s; 0 keeps them open). */
  idleCloseMs?: number;
  /** At most this many idle connections are kept; past it the least recently used close (default 256). */
  maxIdle?: number;
  /**
   * The byte stream a direct (non-bastion) connection runs SSH over, instead of TCP to
   * address:port. SSH itself (handshake, host key check, auth) is unchanged on top of it.
   */
  transport?: (target: SshTarget) => Promise<Duplex> | Duplex;
}
