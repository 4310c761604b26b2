/**
 * One connection per host for the whole run, shared by every step and command (a 100-worker
 * deploy must not pay a handshake per command). Bastion connections are pooled the same way and
 * each target is reached through a `forwardOut` channel on its bastion's connection.
 */
import type { Client } from 'ssh2';
import { openClient } from './connect';
import { SshConnection } from './connection';
import { SshError, SshUnreachableError } from './errors';
import type { SshBastion, SshOptions, SshTarget } from './target';

function keyOf(t: SshTarget): string {
  return JSON.stringify([t.host, t.user, t.address, t.port, t.privateKeyPath, t.useAgent, t.knownHostsPath, t.hostKeyFingerprint, t.bastion]);
}

/** Long enough to span the gaps between one host's steps and phases, short enough that a 5,000-host run holds only its busy hosts' connections. */
export const DEFAULT_IDLE_CLOSE_MS = 60_000;

/**
 * Idle connections kept at most: a 5,000-host phase at concurrency 200 would otherwise hold a
 * connection (and its buffers) per finished host until the idle close, near a GB of worker memory.
 */
export const DEFAULT_MAX_IDLE = 256;

export class SshPool {
  private readonly conns = new Map<string, SshConnection>();
  private sweeper?: NodeJS.Timeout;

  constructor(private readonly opts: SshOptions = {}) {}

  /** Connections held now (open or dialling). */
  get size(): number {
    return this.conns.size;
  }

  /** The pooled connection for `target`, connected (and host-key verified) before it is returned. */
  async get(target: SshTarget): Promise<SshConnection> {
    const key = keyOf(target);
    let conn = this.conns.get(key);
    if (!conn) {
      conn = new SshConnection(target, () => this.dial(target), this.opts);
      this.sweepLater();
    }
    // Re-inserted on every ask: the map's order is the order of last use, oldest first.
    this.conns.delete(key);
    this.conns.set(key, conn);
    await conn.connect();
    this.trimIdle(conn);
    return conn;
  }

  /** Closes the least recently used idle connections past maxIdle (never `keep`, nor a bastion still carrying one). */
  trimIdle(keep?: SshConnection): void {
    const max = this.opts.maxIdle ?? DEFAULT_MAX_IDLE;
    const idle = [...this.conns].filter(([, c]) => c !== keep && c.idleSince !== undefined);
    if (idle.length <= max) return;
    const carrying = this.carryingBastions(new Set());
    let over = idle.length - max;
    for (const [key, c] of idle) {
      if (over <= 0) break;
      if (carrying.has(c.target.host)) continue;
      c.close();
      this.conns.delete(key);
      over--;
    }
  }

  /** Bastion hosts that carry a connection which stays (one not in `leaving`). */
  private carryingBastions(leaving: Set<SshConnection>): Set<string> {
    return new Set([...this.conns.values()].filter((c) => !leaving.has(c) && c.target.bastion).map((c) => bastionTarget(c.target, c.target.bastion!).host));
  }

  /** Closes and forgets connections idle past idleCloseMs; bastions only once nothing tunnels through them. */
  sweep(now = Date.now()): void {
    const idleMs = this.opts.idleCloseMs ?? DEFAULT_IDLE_CLOSE_MS;
    const idle = [...this.conns].filter(([, c]) => c.idleSince !== undefined && now - c.idleSince >= idleMs);
    const idleSet = new Set(idle.map(([, c]) => c));
    // A bastion stays while a connection it carries stays.
    const carrying = this.carryingBastions(idleSet);
    for (const [key, c] of idle) {
      if (carrying.has(c.target.host)) continue;
      c.close();
      this.conns.delete(key);
    }
    if (this.conns.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private sweepLater(): void {
    const idleMs = this.opts.idleCloseMs ?? DEFAULT_IDLE_CLOSE_MS;
    if (idleMs <= 0 || this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, idleMs / 2));
    // The sweep must not keep a finished process alive.
    this.sweeper.unref();
  }

  /** Ends every connection, targets before the bastions they tunnel through. */
  closeAll(): void {
    const all = [...this.conns.values()];
    for (const c of all.filter((c) => !c.target.host.startsWith('bastion:'))) c.close();
    for (const c of all.filter((c) => c.target.host.startsWith('bastion:'))) c.close();
    this.conns.clear();
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private async dial(target: SshTarget): Promise<Client> {
    const ep = { label: target.host, address: target.address, port: target.port, user: target.user, fingerprint: target.hostKeyFingerprint };
    if (!target.bastion) return openClient(target, ep, this.opts, this.opts.transport ? await this.opts.transport(target) : undefined);
    const bastion = await this.get(bastionTarget(target, target.bastion));
    const stream = await bastion.forward(target.address, target.port).catch((err: unknown) => {
      throw err instanceof SshError
        ? err
        : new SshUnreachableError(`${target.host}: bastion ${target.bastion?.address} cannot reach ${target.address}:${target.port}: ${(err as Error).message}`, target.host);
    });
    return openClient(target, ep, this.opts, stream);
  }
}

/** The bastion as a target of its own: same credentials and known_hosts, its own pin. */
function bastionTarget(target: SshTarget, b: SshBastion): SshTarget {
  return {
    host: `bastion:${b.address}:${b.port}`,
    address: b.address,
    port: b.port,
    user: b.user,
    privateKeyPath: target.privateKeyPath,
    useAgent: target.useAgent,
    knownHostsPath: target.knownHostsPath,
    hostKeyFingerprint: b.hostKeyFingerprint,
  };
}
