/**
 * One pooled connection to one host, and the operations plan steps need on it: run an argv
 * command, write a file only when it differs, read a file, test for one. A dropped connection is
 * re-dialled once, and only before a command starts: a command cut off midway is reported as
 * SshUnreachableError rather than silently run twice.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Client, ClientChannel } from 'ssh2';
import {
  CommandAbortedError,
  CommandFailedError,
  InvalidCommandError,
  SshError,
  SshTimeoutError,
  SudoRefusedError,
  SshUnreachableError,
} from './errors';
import { Masker, MaskedStream, Tail, substitute } from './mask';
import { commandLine, isEnvName } from './quote';
import { PROBE_FILE, SUDO_REFUSED, sudoArgv, WRITE_FILE, withChannelWatchdog } from './remote';
import type { SshOptions, SshTarget } from './target';

export type OutputStream = 'stdout' | 'stderr';

export interface RunOptions {
  env?: Readonly<Record<string, string>>;
  /**
   * Bytes for the command's stdin. Such a command is not watched by the channel watchdog (stdin is
   * its own): an abort signals it instead, which OpenSSH >= 7.9 honours.
   */
  stdin?: string | Buffer;
  /** Values for `{{name}}` placeholders in argv and env; every one of them is masked as `***`. */
  runtime?: Readonly<Record<string, string>>;
  /** Further values to mask. */
  secrets?: readonly string[];
  /** Exit codes that count as success (default [0]). */
  okExitCodes?: readonly number[];
  /** Live output, masked, released line by line. */
  onOutput?: (stream: OutputStream, text: string) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface RunResult {
  /** null when the command was killed by a signal. */
  exitCode: number | null;
  exitSignal?: string;
  stdoutTail: string;
  stderrTail: string;
}

interface ExecResult extends RunResult {
  /** Whole stdout, unmasked: only for our own helpers that parse it (readFile, probes). */
  stdout?: Buffer;
}

const MAX_CAPTURE = 64 * 1024 * 1024;
/** Files up to this size go with their comparison in one command; a larger one is compared first. */
const INLINE_WRITE_MAX = 256 * 1024;
/** After an abort, how long the remote side gets to close the channel before we drop it. */
const ABORT_GRACE_MS = 10_000;

function isDropped(err: unknown): boolean {
  return err instanceof Error && /Not connected|No response from server|ECONNRESET|EPIPE/i.test(err.message);
}

export class SshConnection {
  private client?: Client;
  private dialing?: Promise<Client>;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private lastUsed = Date.now();

  constructor(
    readonly target: SshTarget,
    private readonly dial: () => Promise<Client>,
    private readonly opts: SshOptions = {},
  ) {}

  /** The live client, dialling when there is none (first use or after a drop). */
  async connect(): Promise<Client> {
    if (this.client) return this.client;
    this.dialing ??= this.dial().then(
      (client) => {
        this.dialing = undefined;
        this.client = client;
        client.on('error', (err) => this.opts.logger?.warn({ host: this.target.host, err: err.message }, 'ssh connection error'));
        client.on('close', () => {
          if (this.client === client) this.client = undefined;
        });
        this.opts.logger?.debug({ host: this.target.host, address: this.target.address }, 'ssh connected');
        return client;
      },
      (err: unknown) => {
        this.dialing = undefined;
        throw err;
      },
    );
    return this.dialing;
  }

  /** The host directory under which detached commands keep their lock, status and output. */
  get detachedRoot(): string {
    return this.opts.detachedDir ?? '/var/lib/hakube/run';
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  /** When the last command on this connection ended; undefined while one runs or a dial is under way. */
  get idleSince(): number | undefined {
    return this.active > 0 || this.dialing ? undefined : this.lastUsed;
  }

  close(): void {
    const c = this.client;
    this.client = undefined;
    c?.end();
  }

  /** Runs `use` on the connection; if the connection turns out to be gone, re-dials once and retries. */
  async withClient<T>(use: (client: Client) => Promise<T>): Promise<T> {
    const first = await this.connect();
    try {
      return await use(first);
    } catch (err) {
      if (this.client === first && !isDropped(err)) throw err;
      if (this.client === first) this.close();
      this.opts.logger?.info({ host: this.target.host, err: (err as Error).message }, 'ssh connection dropped, reconnecting');
      return use(await this.connect());
    }
  }

  /** A TCP stream to address:port opened by this host (how a bastion reaches its targets). */
  forward(address: string, port: number): Promise<ClientChannel> {
    return this.withClient(
      (c) =>
        new Promise((resolve, reject) =>
          c.forwardOut('127.0.0.1', 0, address, port, (err, stream) => (err ? reject(err) : resolve(stream))),
        ),
    );
  }

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const { stdout: _ignored, ...result } = await this.exec(argv, opts, false);
    return result;
  }

  /**
   * Writes `content` to `path` with `mode` (octal string) unless the host already has exactly
   * that; returns whether anything changed. The host installs it only if what arrived has the
   * content's sha256. Content never appears in logs or errors. Small content is sent with the
   * comparison (one round trip); larger content is compared first so an unchanged big file is
   * not sent again.
   */
  async writeFileIfChanged(path: string, content: string | Buffer, mode: string): Promise<boolean> {
    if (!/^[0-7]{3,4}$/.test(mode)) throw new InvalidCommandError(`${this.target.host}: invalid file mode ${JSON.stringify(mode)}`, this.target.host);
    if (!path.startsWith('/') || path.endsWith('/')) throw new InvalidCommandError(`${this.target.host}: file path must be absolute and name a file: ${path}`, this.target.host);
    const data = typeof content === 'string' ? Buffer.from(content) : content;
    const want = createHash('sha256').update(data).digest('hex');
    if (data.length > INLINE_WRITE_MAX) {
      const probe = await this.exec(['sh', '-c', PROBE_FILE, 'sh', path], { okExitCodes: [0, 1] }, true);
      const [hashLine = '', modeLine = ''] = (probe.stdout?.toString() ?? '').split('\n');
      // sha256sum prefixes a backslash when it had to escape the file name.
      const have = /^\\?([0-9a-f]{64})/.exec(hashLine)?.[1];
      const sameMode = modeLine.trim() !== '' && parseInt(modeLine, 8) === parseInt(mode, 8);
      if (probe.exitCode === 0 && have === want) {
        if (sameMode) return false;
        await this.exec(['chmod', mode, '--', path], {}, false);
        return true;
      }
    }
    const tmp = `${path}.hakube-${randomBytes(6).toString('hex')}`;
    const r = await this.exec(['sh', '-c', WRITE_FILE, 'sh', path, tmp, mode, want], { stdin: data }, true);
    // The last line: a chatty shell start-up file may print before the script does.
    const said = (r.stdout?.toString() ?? '').trim().split('\n').pop();
    if (said !== 'same' && said !== 'mode' && said !== 'written') {
      throw new CommandFailedError(this.target.host, r.exitCode, r.exitSignal, `install ${path}`, r.stderrTail, `unexpected answer ${JSON.stringify(said?.slice(0, 80))}`);
    }
    return said !== 'same';
  }

  async readFile(path: string): Promise<string> {
    const r = await this.exec(['cat', '--', path], {}, true);
    return r.stdout?.toString('utf8') ?? '';
  }

  /** A file's bytes (binary-safe; bounded by the capture limit, 64 MiB). */
  async readFileBytes(path: string): Promise<Buffer> {
    const r = await this.exec(['cat', '--', path], {}, true);
    return r.stdout ?? Buffer.alloc(0);
  }

  async fileExists(path: string): Promise<boolean> {
    const r = await this.exec(['test', '-e', path], { okExitCodes: [0, 1] }, false);
    return r.exitCode === 0;
  }

  private async exec(argv: readonly string[], opts: RunOptions, capture: boolean): Promise<ExecResult> {
    const host = this.target.host;
    // Masking is armed before any runtime value is substituted, so nothing below can leak one.
    const masker = new Masker().add(...Object.values(opts.runtime ?? {}), ...(opts.secrets ?? []));
    const runtime = opts.runtime ?? {};
    const missing: string[] = [];
    const fill = (w: string) => {
      const r = substitute(w, runtime);
      missing.push(...r.missing);
      return r.value;
    };
    const words = argv.map(fill);
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(opts.env ?? {})) {
      if (!isEnvName(name)) throw new InvalidCommandError(`${host}: invalid environment variable name ${JSON.stringify(name)}`, host);
      env[name] = fill(value);
    }
    if (missing.length) throw new InvalidCommandError(`${host}: no runtime value for ${[...new Set(missing)].map((n) => `{{${n}}}`).join(', ')}`, host);
    let line: string;
    try {
      line = this.target.sudo ? commandLine(sudoArgv(words, Object.keys(env)), env) : commandLine(words, env);
    } catch (err) {
      throw new InvalidCommandError(`${host}: ${(err as Error).message}`, host);
    }
    const display = masker.mask(line);
    const remote = opts.stdin === undefined ? withChannelWatchdog(line) : line;

    await this.acquire();
    try {
      // It may have waited for a free channel: do not start what was cancelled meanwhile.
      if (opts.signal?.aborted) throw new CommandAbortedError(`${host}: ${display} was aborted before it started`, host);
      this.opts.logger?.debug({ host, cmd: display }, 'ssh run');
      const channel = await this.withClient(
        (c) => new Promise<ClientChannel>((resolve, reject) => c.exec(remote, (err, ch) => (err ? reject(err) : resolve(ch)))),
      ).catch((err: unknown) => {
        throw err instanceof SshError ? err : new SshUnreachableError(`${host}: cannot start ${display}: ${masker.mask((err as Error).message)}`, host);
      });
      const result = await this.collect(channel, masker, display, opts, capture);
      this.opts.logger?.debug({ host, cmd: display, exitCode: result.exitCode, exitSignal: result.exitSignal }, 'ssh exit');
      if (this.target.sudo && (result.exitCode === 1 || result.exitCode === 127) && SUDO_REFUSED.test(result.stderrTail)) {
        const said = result.stderrTail.trim().split('\n').find((l) => SUDO_REFUSED.test(l)) ?? '';
        throw new SudoRefusedError(
          `${host}: ${this.target.user} may not run commands as root without a password (sudo -n: ${said.replace(/^sudo: /, '')}); give ${this.target.user} password-less sudo on ${host} (e.g. "${this.target.user} ALL=(ALL) NOPASSWD: ALL" in /etc/sudoers.d/hakube) or set spec.ssh.user: root`,
          host,
        );
      }
      const ok = opts.okExitCodes ?? [0];
      if (result.exitCode === null || !ok.includes(result.exitCode)) {
        throw new CommandFailedError(host, result.exitCode, result.exitSignal, display, result.stderrTail, result.stdoutTail);
      }
      return result;
    } finally {
      this.release();
    }
  }

  private collect(channel: ClientChannel, masker: Masker, display: string, opts: RunOptions, capture: boolean): Promise<ExecResult> {
    const host = this.target.host;
    const tails = { stdout: new Tail(), stderr: new Tail() };
    const streams = {} as Record<OutputStream, MaskedStream>;
    for (const name of ['stdout', 'stderr'] as const) {
      streams[name] = new MaskedStream(masker, (text) => {
        tails[name].push(text);
        try {
          opts.onOutput?.(name, text);
        } catch (err) {
          // A failing progress callback must not tear down the transport that called it.
          this.opts.logger?.warn({ host, err: (err as Error).message }, 'onOutput callback failed');
        }
      });
    }
    const captured: Buffer[] = [];
    let capturedBytes = 0;

    return new Promise((resolve, reject) => {
      let exitCode: number | null | undefined;
      let exitSignal: string | undefined;
      let stopped: 'abort' | 'timeout' | undefined;
      let grace: NodeJS.Timeout | undefined;

      const stop = (why: 'abort' | 'timeout') => {
        if (stopped) return;
        stopped = why;
        // Either path ends the command: the signal for stdin-fed commands, stdin EOF for the watchdog.
        try {
          channel.signal('TERM');
        } catch {
          // the channel may already be closing
        }
        if (opts.stdin === undefined) channel.end();
        grace = setTimeout(() => channel.close(), ABORT_GRACE_MS);
      };
      const onAbort = () => stop('abort');
      const timer = opts.timeoutMs ? setTimeout(() => stop('timeout'), opts.timeoutMs) : undefined;
      if (opts.signal?.aborted) stop('abort');
      opts.signal?.addEventListener('abort', onAbort, { once: true });

      channel.on('data', (chunk: Buffer) => {
        if (capture) {
          capturedBytes += chunk.length;
          if (capturedBytes <= MAX_CAPTURE) captured.push(chunk);
        } else {
          streams.stdout.push(chunk);
        }
      });
      channel.stderr.on('data', (chunk: Buffer) => streams.stderr.push(chunk));
      channel.on('error', () => {
        // surfaced through 'close' without an exit status
      });
      // The exit status is taken from 'close', not from 'exit': a quick command's exec reply, exit
      // status and close often arrive in one socket read (a busy worker), and ssh2 emits 'exit'
      // while parsing it, before this channel reached us. 'close' comes only after the output was
      // read, with the status ssh2 recorded (undefined when none came: the connection was lost).
      channel.on('close', (code?: number | null, signal?: string) => {
        exitCode = code;
        exitSignal = signal ?? undefined;
        clearTimeout(timer);
        clearTimeout(grace);
        opts.signal?.removeEventListener('abort', onAbort);
        streams.stdout.end();
        streams.stderr.end();
        const tailText = { stdoutTail: tails.stdout.text(), stderrTail: tails.stderr.text() };
        if (stopped === 'timeout') return reject(new SshTimeoutError(`${host}: ${display} did not finish within ${opts.timeoutMs} ms`, host));
        if (stopped === 'abort') return reject(new CommandAbortedError(`${host}: ${display} was aborted`, host));
        if (exitCode === undefined) {
          return reject(new SshUnreachableError(`${host}: connection lost while running ${display}`, host));
        }
        if (capturedBytes > MAX_CAPTURE) {
          return reject(new InvalidCommandError(`${host}: output of ${display} exceeds ${MAX_CAPTURE} bytes`, host));
        }
        resolve({ exitCode, exitSignal, ...tailText, stdout: capture ? Buffer.concat(captured) : undefined });
      });

      if (opts.stdin !== undefined) channel.end(opts.stdin);
    });
  }

  /** Bounds the channels open at once: sshd refuses more than MaxSessions on one connection. */
  private async acquire(): Promise<void> {
    this.lastUsed = Date.now();
    if (this.active < (this.opts.maxChannels ?? 8)) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    this.lastUsed = Date.now();
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
