/**
 * Fake hosts at the transport: each SSH connection the worker's pool dials is handed an
 * in-memory byte stream to an in-process ssh2 server standing for that host. Everything above
 * the stream is the product's own code (handshake, host-key check against known_hosts, public-key
 * auth, channel watchdog, detached commands, file probes and checked uploads), so a deploy runs
 * the real workflows and activities unchanged. Each host answers what the plan sends as a lab
 * host of a first deploy does: a step's check fails until the step's commands ran, commands exit 0
 * with output of about the lab's size, files are kept (sha256 and mode), and the commands whose
 * output the worker parses (join command, certificate key, node status, health probes) answer in
 * kubeadm's and kubectl's format. The hosts live in the worker's process (`transport`) or in
 * their own, behind one unix socket (`serve`, ./fake-hosts-process.ts), so the worker's memory
 * can be told from theirs. For bench/ and tests only: never imported from src/.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server as NetServer } from 'node:net';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { Server, type ServerChannel } from 'ssh2';
import type { Plan } from '../../src/plan/types';
import { ed25519Pair } from './ssh-keys';
import { commandLine } from '../../src/ssh/quote';
import { DETACHED_ATTACH, DETACHED_BUSY, DETACHED_FORGET, DETACHED_START, DETACHED_STOP, PROBE_FILE, WRITE_FILE } from '../../src/ssh/remote';
import type { SshTarget } from '../../src/ssh/target';

/** Two connected in-memory streams: what one side writes, the other reads. */
export function duplexPair(): [Duplex, Duplex] {
  const sides: Duplex[] = [];
  const make = (other: () => Duplex) =>
    new Duplex({
      read() {},
      write(chunk, _enc, cb) {
        other().push(chunk);
        cb();
      },
      final(cb) {
        other().push(null);
        cb();
      },
    });
  sides.push(make(() => sides[1]), make(() => sides[0]));
  return [sides[0], sides[1]];
}

/** Words of a line built by commandLine(): single-quoted words, `'\''` for a quote, prefix assignments. */
export function parseWords(line: string): string[] {
  const out: string[] = [];
  let cur: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === ' ') {
      if (cur !== undefined) out.push(cur);
      cur = undefined;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unbalanced quote in ${JSON.stringify(line.slice(0, 80))}`);
      cur = (cur ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (ch === '\\' && line[i + 1] === "'") {
      cur = (cur ?? '') + "'";
      i++;
    } else cur = (cur ?? '') + ch;
  }
  if (cur !== undefined) out.push(cur);
  return out;
}

const WATCHDOG_HEAD = 'exec 3<&0\n';
const WATCHDOG_TAIL = ' </dev/null 3<&- & c=$!\n';

/** The argv a channel's command carries: the watchdog unwrapped, prefix assignments and sudo dropped. */
export function argvOf(command: string): string[] {
  // Quoted words may hold newlines (scripts): cut the wrapper off by its own text, not by lines.
  const line = command.startsWith(WATCHDOG_HEAD) ? command.slice(WATCHDOG_HEAD.length, command.lastIndexOf(WATCHDOG_TAIL)) : command;
  const words = parseWords(line);
  while (words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) words.shift();
  if (words[0] === 'sudo') {
    const end = words.indexOf('--');
    words.splice(0, end + 1);
  }
  return words;
}

interface Answer {
  code: number;
  stdout?: string;
  stderr?: string;
}

// About what the lab's hosts print: a line for most commands, a screenful for kubeadm.
const KUBEADM_OUTPUT = Array.from({ length: 30 }, (_, i) => `[phase-${i}] kubeadm: done with part ${i} of this phase, as the lab's kubeadm reports it`).join('\n') + '\n';
const HEX64 = 'c'.repeat(64);
const JOIN_LINE = `kubeadm join 10.30.12.249:8443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:${'a'.repeat(64)}\n`;

interface HostState {
  files: Map<string, { sha256: string; mode: string }>;
  done: Set<string>;
  /** Command lines run (not checks, probes or file helpers): the host's own command log. */
  commands: number;
}

interface StepLines {
  checks: Map<string, string>;
  commands: Array<{ match: (line: string) => boolean; step: string }>;
}

function templateMatcher(line: string): (l: string) => boolean {
  if (!line.includes('{{')) return (l) => l === line;
  const re = new RegExp(`^${line.split(/\{\{[A-Za-z]+\}\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*?')}$`, 's');
  return (l) => re.test(l);
}

export class FakeHosts {
  readonly hostKey = ed25519Pair();
  readonly clientKey = ed25519Pair();
  /** Where the client key and known_hosts are (HAKUBE_SSH_DIRS must include it). */
  readonly dir = mkdtempSync(join(tmpdir(), 'hakube-fake-hosts-'));
  readonly privateKeyPath = join(this.dir, 'id_ed25519');
  readonly knownHostsPath = join(this.dir, 'known_hosts');
  private readonly hosts = new Map<string, HostState>();
  private readonly lines = new Map<string, StepLines>();
  dials = 0;
  open = 0;
  maxOpen = 0;

  constructor(private readonly latencyMs = 0) {
    writeFileSync(this.privateKeyPath, this.clientKey.private, { mode: 0o600 });
    // One wildcard line vouches for every fake host with the one fake host key.
    writeFileSync(this.knownHostsPath, `* ${this.hostKey.public.trim()}\n`);
  }

  /** What the hosts will be sent: each step's check and commands, from the plan. */
  expect(plan: Plan): this {
    for (const phase of plan.phases) {
      for (const s of phase.steps) {
        const l = this.linesOf(s.host);
        if (s.check) l.checks.set(commandLine(s.check.argv), s.id);
        for (const c of s.commands) l.commands.push({ match: templateMatcher(commandLine(c.argv)), step: s.id });
      }
    }
    return this;
  }

  /** The SshOptions.transport: a fresh stream into this host's fake sshd. */
  transport = (target: SshTarget): Duplex => {
    const [client, server] = duplexPair();
    this.attach(target.host, server, client);
    return client;
  };

  /**
   * Serves every host on one unix socket, for a worker in another process: a connection's first
   * line names the host (what `transport` is told in process), the SSH handshake follows.
   */
  serve(socketPath: string): Promise<NetServer> {
    const srv = createServer((socket) => {
      socket.on('error', () => undefined);
      let head = Buffer.alloc(0);
      const onData = (d: Buffer) => {
        head = Buffer.concat([head, d]);
        const nl = head.indexOf(10);
        if (nl < 0) return;
        socket.off('data', onData);
        socket.pause();
        // The client does not wait for the name to be read: its SSH banner may share the chunk.
        if (nl + 1 < head.length) socket.unshift(head.subarray(nl + 1));
        this.attach(head.subarray(0, nl).toString(), socket, socket);
      };
      socket.on('data', onData);
    });
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(socketPath, () => resolve(srv));
    });
  }

  /** A fake sshd for `host` on `stream`; `ends` closing is the connection closing. */
  private attach(hostName: string, stream: Duplex, ends: Duplex): void {
    const host = this.stateOf(hostName);
    this.dials++;
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    let closed = false;
    const down = () => {
      if (!closed) this.open--;
      closed = true;
    };
    ends.once('close', down);
    ends.once('end', down);
    const sshd = new Server({ hostKeys: [this.hostKey.private] }, (conn) => {
      conn.on('error', () => undefined);
      conn.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey'])));
      conn.on('ready', () => {
        conn.on('session', (accept) => {
          const session = accept();
          session.on('exec', (acceptExec, _reject, info) => this.exec(host, info.command, acceptExec()));
        });
      });
    });
    sshd.injectSocket(stream as never);
  }

  commandsRun(): number {
    let n = 0;
    for (const h of this.hosts.values()) n += h.commands;
    return n;
  }

  private linesOf(host: string): StepLines {
    let l = this.lines.get(host);
    if (!l) this.lines.set(host, (l = { checks: new Map(), commands: [] }));
    return l;
  }

  private stateOf(host: string): HostState & { name: string } {
    let h = this.hosts.get(host);
    if (!h) this.hosts.set(host, (h = { files: new Map(), done: new Set(), commands: 0 }));
    return Object.assign(h, { name: host });
  }

  private exec(host: HostState & { name: string }, command: string, ch: ServerChannel): void {
    const argv = argvOf(command);
    const reply = (a: Answer) => {
      const send = () => {
        if (a.stdout) ch.write(a.stdout);
        if (a.stderr) ch.stderr.write(a.stderr);
        ch.exit(a.code);
        ch.end();
      };
      if (this.latencyMs > 0) setTimeout(send, this.latencyMs);
      else setImmediate(send);
    };
    ch.on('error', () => undefined);
    if (argv[0] === 'sh' && argv[1] === '-c' && argv[2] === WRITE_FILE) {
      const [path, , mode, want] = argv.slice(4);
      const hash = createHash('sha256');
      ch.on('data', (d: Buffer) => hash.update(d));
      ch.on('end', () => {
        // As the host script answers: compared with what is there, installed only with the sent sha256.
        const had = host.files.get(path);
        if (had?.sha256 === want) {
          const same = parseInt(had.mode, 8) === parseInt(mode, 8);
          if (!same) had.mode = mode;
          return reply({ code: 0, stdout: same ? 'same\n' : 'mode\n' });
        }
        const got = hash.digest('hex');
        if (got !== want) return reply({ code: 1, stderr: `hakube: ${path} arrived with another sha256 (upload cut short?): not installed\n` });
        host.files.set(path, { sha256: got, mode });
        reply({ code: 0, stdout: 'written\n' });
      });
      return;
    }
    reply(this.answer(host, argv));
  }

  private answer(host: HostState & { name: string }, argv: string[]): Answer {
    const [cmd, a1, script] = argv;
    if (cmd === 'sh' && a1 === '-c') {
      const args = argv.slice(4);
      if (script === PROBE_FILE) {
        const f = host.files.get(args[0]);
        return f ? { code: 0, stdout: `${f.sha256}  ${args[0]}\n${f.mode}\n` } : { code: 1 };
      }
      if (script === DETACHED_BUSY) return { code: 0, stdout: '-1\n' };
      if (script === DETACHED_FORGET || script === DETACHED_STOP) return { code: 0 };
      if (script === DETACHED_START) {
        this.ran(host, argv.slice(8));
        return { code: 0, stdout: 'started\n' };
      }
      if (script === DETACHED_ATTACH) return { code: 0, stdout: KUBEADM_OUTPUT, stderr: 'exit 0\n' };
      if (script.includes('curl -sS -k')) return { code: 0, stdout: 'ok\n' };
    }
    if (cmd === 'true' || cmd === 'chmod') return { code: 0 };
    if (cmd === 'test' && a1 === '-e') return { code: host.files.has(argv[2]) ? 0 : 1 };
    if (cmd === 'rm') {
      for (const p of argv.slice(3)) host.files.delete(p);
      return { code: 0 };
    }
    if (cmd === 'cat' && a1 === '--') return { code: 0, stdout: `# ${argv[2]} as the lab's ${host.name} has it\n${'x'.repeat(600)}\n` };
    const line = argv.join(' ');
    if (cmd === 'kubeadm' && line.includes('token create --print-join-command')) return { code: 0, stdout: JOIN_LINE };
    if (cmd === 'kubeadm' && line.includes('upload-certs')) return { code: 0, stdout: `[upload-certs] Using certificate key:\n${HEX64}\n` };
    if (cmd === 'kubectl' && line.includes('get secret kubeadm-certs')) return { code: 0, stdout: 'secret/kubeadm-certs\n' };
    if (cmd === 'kubectl' && argv.includes('node') && argv.includes('json')) {
      return { code: 0, stdout: JSON.stringify({ kind: 'Node', status: { conditions: [{ type: 'Ready', status: 'True' }] } }) };
    }
    return this.ran(host, argv);
  }

  /** A plan check answers from what ran; any other command runs (and completes its step). */
  private ran(host: HostState & { name: string }, argv: string[]): Answer {
    const l = this.linesOf(host.name);
    const line = commandLine(argv);
    const check = l.checks.get(line);
    if (check !== undefined) return { code: host.done.has(check) ? 0 : 1 };
    host.commands++;
    const step = l.commands.find((c) => c.match(line))?.step;
    if (step) host.done.add(step);
    return { code: 0, stdout: argv[0] === 'kubeadm' ? KUBEADM_OUTPUT : `${argv[0]}: ok\n` };
  }
}
