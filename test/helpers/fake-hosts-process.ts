/**
 * The fake hosts (./fake-hosts.ts) in a child process of their own, all behind one unix socket,
 * so a bench can read the worker's memory apart from the hosts': at 5,000 hosts their state,
 * ssh2 servers and buffers would otherwise be most of the worker process's RSS. The worker's
 * SshOptions.transport dials the socket and names the host on the first line; the plan, the
 * counters and the end travel over the IPC channel. For bench/ and tests only.
 *
 * This file is both the parent's handle (FakeHostsProcess) and, run as a script, the child.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { buildPlan } from '../../src/plan/build';
import type { Cluster } from '../../src/spec/types';
import type { SshTarget } from '../../src/ssh/target';
import { PROJECT_ROOT } from '../../src/temporal/paths';
import { FakeHosts } from './fake-hosts';

export interface FakeHostsStats {
  commandsRun: number;
  dials: number;
  maxOpen: number;
}

type Ask = { kind: 'expect'; spec: Cluster } | { kind: 'stats' };
type Request = Ask & { id: number };
type Reply = { id: number; ok: true; stats?: FakeHostsStats } | { id: number; ok: false; error: string };
interface Ready {
  kind: 'ready';
  dir: string;
  privateKeyPath: string;
  knownHostsPath: string;
  socketPath: string;
}

/** VmRSS (now) or VmHWM (peak since start or the last resetPeakRss), MB; null without /proc. */
export function procMemoryMb(pid: number | 'self', field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

export class FakeHostsProcess {
  private next = 0;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly ready: Ready,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      p?.resolve(m);
    });
    child.once('exit', (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`fake hosts process ended (${signal ?? code})`));
      this.pending.clear();
    });
  }

  static async start(latencyMs = 0): Promise<FakeHostsProcess> {
    // tsx resolves from the project, wherever the caller runs.
    const child = fork(__filename, [String(latencyMs)], { cwd: PROJECT_ROOT, execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = await new Promise<Ready>((resolve, reject) => {
      child.once('message', (m: Ready) => resolve(m));
      child.once('error', reject);
      child.once('exit', (code, signal) => reject(new Error(`fake hosts process ended before it served (${signal ?? code})`)));
    });
    return new FakeHostsProcess(child, ready);
  }

  get pid(): number {
    return this.child.pid!;
  }
  /** Where the client key and known_hosts are (HAKUBE_SSH_DIRS must include it). */
  get dir(): string {
    return this.ready.dir;
  }
  get privateKeyPath(): string {
    return this.ready.privateKeyPath;
  }
  get knownHostsPath(): string {
    return this.ready.knownHostsPath;
  }

  /** The SshOptions.transport: a connection to the hosts' socket, named for this host. */
  transport = (target: SshTarget): Duplex => {
    const socket = connect(this.ready.socketPath);
    socket.write(`${target.host}\n`);
    return socket;
  };

  /** What the hosts will be sent: the plan of `spec`, built in the child. */
  async expect(spec: Cluster): Promise<void> {
    await this.request({ kind: 'expect', spec });
  }

  async stats(): Promise<FakeHostsStats> {
    return (await this.request({ kind: 'stats' })).stats!;
  }

  /** The child's peak resident memory since it started (it serves one deploy), MB. */
  peakRssMb(): number | null {
    return procMemoryMb(this.pid, 'VmHWM');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
    await this.exited;
  }

  private async request(r: Ask): Promise<Extract<Reply, { ok: true }>> {
    const id = ++this.next;
    const reply = await new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ ...r, id } as Request);
    });
    if (!reply.ok) throw new Error(`fake hosts process: ${reply.error}`);
    return reply;
  }
}

async function child(): Promise<void> {
  const fakes = new FakeHosts(Number(process.argv[2] ?? 0));
  const socketPath = join(fakes.dir, 'hosts.sock');
  await fakes.serve(socketPath);
  // Ends with its parent: the IPC channel closes when the parent exits, however it exits.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (m: Request) => {
    try {
      if (m.kind === 'expect') fakes.expect(buildPlan(m.spec));
      const stats = m.kind === 'stats' ? { commandsRun: fakes.commandsRun(), dials: fakes.dials, maxOpen: fakes.maxOpen } : undefined;
      process.send!({ id: m.id, ok: true, ...(stats ? { stats } : {}) } satisfies Reply);
    } catch (err) {
      process.send!({ id: m.id, ok: false, error: (err as Error).message } satisfies Reply);
    }
  });
  process.send!({ kind: 'ready', dir: fakes.dir, privateKeyPath: fakes.privateKeyPath, knownHostsPath: fakes.knownHostsPath, socketPath } satisfies Ready);
}

if (require.main === module) {
  child().catch((err: unknown) => {
    process.stderr.write(`fake hosts process: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
