/**
 * The local Temporal dev server: the Temporal CLI built into .tools/bin, SQLite under
 * HAKUBE_HOME so histories survive restarts, our search attributes registered, bound to
 * loopback only. Runs in the foreground, or detached with a pid file that `stop` uses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { CliError, EXIT } from '../exit';
import { tcpProbe } from './connection';
import { hakubeHome, PROJECT_ROOT } from './paths';

import { SEARCH_ATTRIBUTE_KEYS } from './search-attributes';
import { alive, pidFromFile, stopPid } from './pids';

// Temporal CLI spells the type "Keyword" where the SDK says KEYWORD.
const cliType = (t: string): string => t.charAt(0) + t.slice(1).toLowerCase();
export const SEARCH_ATTRIBUTES: Record<string, string> = Object.fromEntries(
  SEARCH_ATTRIBUTE_KEYS.map((k) => [k.name, cliType(k.type)]),
);
export const DYNAMIC_CONFIG = {
  'frontend.enableServerVersionCheck': 'false',
  // A host phase schedules its next host's activity as one finishes: handed back in the workflow
  // task's reply to the worker that has a free slot, it skips a trip through matching.
  'system.enableActivityEagerExecution': 'true',
} as const;

export interface DevServerConfig {
  binary: string;
  home: string;
  ip: string;
  port: number;
  uiPort: number;
  /** Where `hakube codec-server` listens for the Web UI (the dev server's --ui-codec-endpoint). */
  codecPort: number;
  /** Required by the codec server when set; the UI then calls it as <endpoint>/<token>/decode. */
  codecToken?: string;
  logLevel: string;
}

export interface DevServerFlags {
  ip?: string;
  port?: string | number;
  uiPort?: string | number;
  codecPort?: string | number;
  home?: string;
  logLevel?: string;
}

/** Flags, else HAKUBE_* environment, else the defaults the README documents. */
export function devServerConfig(flags: DevServerFlags = {}, env: NodeJS.ProcessEnv = process.env): DevServerConfig {
  const port = toPort(flags.port ?? env.HAKUBE_SERVER_PORT ?? 7233, 'port');
  const uiPort = toPort(flags.uiPort ?? env.HAKUBE_UI_PORT ?? port + 1000, 'UI port');
  return {
    binary: env.HAKUBE_TEMPORAL_BIN ? path.resolve(env.HAKUBE_TEMPORAL_BIN) : path.join(PROJECT_ROOT, '.tools', 'bin', 'temporal'),
    home: flags.home ? path.resolve(flags.home) : hakubeHome(env),
    ip: flags.ip ?? env.HAKUBE_SERVER_IP ?? '127.0.0.1',
    port,
    uiPort,
    codecPort: toPort(flags.codecPort ?? env.HAKUBE_CODEC_PORT ?? uiPort + 1, 'codec server port'),
    codecToken: env.HAKUBE_CODEC_TOKEN || undefined,
    logLevel: flags.logLevel ?? env.HAKUBE_SERVER_LOG_LEVEL ?? 'warn',
  };
}

function toPort(value: string | number, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new CliError(`invalid ${what} "${value}"`, EXIT.BAD_INPUT);
  return n;
}

export const address = (cfg: DevServerConfig): string => `${cfg.ip}:${cfg.port}`;
export const uiUrl = (cfg: DevServerConfig): string => `http://${cfg.ip}:${cfg.uiPort}`;
/** The codec server as the browser calls it: the token, if any, rides in the path. */
export const codecEndpoint = (cfg: DevServerConfig): string =>
  `http://${cfg.ip}:${cfg.codecPort}${cfg.codecToken ? `/${encodeURIComponent(cfg.codecToken)}` : ''}`;
const pidFile = (cfg: DevServerConfig): string => path.join(cfg.home, 'server.pid');
const logFile = (cfg: DevServerConfig): string => path.join(cfg.home, 'server.log');
const lockFile = (cfg: DevServerConfig): string => path.join(cfg.home, 'server.lock');

export function devServerArgs(cfg: DevServerConfig): string[] {
  const args = ['server', 'start-dev', '--db-filename', path.join(cfg.home, 'temporal.db')];
  args.push('--ip', cfg.ip, '--port', String(cfg.port), '--ui-ip', cfg.ip, '--ui-port', String(cfg.uiPort));
  // The Web UI decodes payloads through `hakube codec-server`: every field but the secrets.
  args.push('--ui-codec-endpoint', codecEndpoint(cfg));
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries(DYNAMIC_CONFIG)) args.push('--dynamic-config-value', `${key}=${value}`);
  args.push('--log-level', cfg.logLevel);
  return args;
}

function checkBinary(cfg: DevServerConfig): void {
  try {
    fs.accessSync(cfg.binary, fs.constants.X_OK);
  } catch {
    throw new CliError('Temporal CLI not built: run `npm run setup`');
  }
}

/** True when a Temporal frontend answers at the address and its default namespace is ready. */
export async function answers(addr: string, timeoutMs = 1000): Promise<boolean> {
  if ((await tcpProbe(addr, timeoutMs)) !== undefined) return false;
  let conn: Connection | undefined;
  try {
    conn = await Connection.connect({ address: addr, connectTimeout: timeoutMs });
    await conn.workflowService.describeNamespace({ namespace: 'default' });
    return true;
  } catch {
    return false;
  } finally {
    await conn?.close().catch(() => undefined);
  }
}

/** Runs the server attached to this terminal; resolves with its exit code when it ends. */
export async function runForeground(cfg: DevServerConfig): Promise<number> {
  checkBinary(cfg);
  if (await answers(address(cfg))) throw new CliError(`a Temporal server already answers at ${address(cfg)}`);
  fs.mkdirSync(cfg.home, { recursive: true, mode: 0o700 });
  const child = spawn(cfg.binary, devServerArgs(cfg), { stdio: 'inherit' });
  process.stderr.write(`hakube server: Temporal at ${address(cfg)}, Web UI ${uiUrl(cfg)}, data ${cfg.home}; Ctrl-C stops\n`);
  // The child shares our process group, so Ctrl-C reaches it directly; forward TERM ourselves.
  const forward = (): void => void child.kill('SIGTERM');
  process.on('SIGTERM', forward);
  process.on('SIGINT', () => undefined);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGTERM', forward);
      resolve(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1));
    });
  });
}

export interface BackgroundResult {
  pid: number;
  alreadyRunning: boolean;
}

/** Starts the server detached, records its pid, and returns once it answers. */
export async function startBackground(cfg: DevServerConfig, waitMs = 60_000): Promise<BackgroundResult> {
  checkBinary(cfg);
  fs.mkdirSync(cfg.home, { recursive: true, mode: 0o700 });
  // Two `--background` at once (demo and a test, say) must not both spawn on one SQLite file.
  await acquireStartLock(cfg, waitMs);
  try {
    const running = readPid(cfg);
    if (running !== undefined) {
      if (await waitUntilAnswers(cfg, () => !alive(running), waitMs)) return { pid: running, alreadyRunning: true };
      throw new CliError(`Temporal dev server pid ${running} does not answer at ${address(cfg)}: run \`npx hakube server stop\``);
    }
    if (await answers(address(cfg))) throw new CliError(`a Temporal server not started by hakube already answers at ${address(cfg)}`);
    return { pid: await spawnDetached(cfg, waitMs), alreadyRunning: false };
  } finally {
    fs.rmSync(lockFile(cfg), { force: true });
  }
}

async function spawnDetached(cfg: DevServerConfig, waitMs: number): Promise<number> {
  const log = fs.openSync(logFile(cfg), 'a');
  let child: ChildProcess;
  try {
    child = spawn(cfg.binary, devServerArgs(cfg), { detached: true, stdio: ['ignore', log, log] });
  } finally {
    fs.closeSync(log);
  }
  const pid = child.pid;
  if (pid === undefined) throw new CliError(`could not start ${cfg.binary}`);
  let exited: string | undefined;
  child.on('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  child.unref();
  fs.writeFileSync(pidFile(cfg), `${pid}\n`);
  if (await waitUntilAnswers(cfg, () => exited !== undefined, waitMs)) {
    await waitForUi(cfg, 10_000);
    return pid;
  }
  if (!exited) process.kill(pid, 'SIGTERM');
  fs.rmSync(pidFile(cfg), { force: true });
  throw new CliError(`Temporal dev server ${exited ?? 'did not answer in time'}: ${lastLine(logFile(cfg))} (log ${logFile(cfg)})`);
}

/**
 * The Web UI answers 503 for a moment while it connects to the frontend; wait for it so a run
 * started right after `--background` can be opened at once. Not fatal: gRPC already works.
 */
async function waitForUi(cfg: DevServerConfig, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${uiUrl(cfg)}/api/v1/namespaces/default/workflows`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
}

/**
 * A lock file holding the starter's pid; a dead holder's lock is taken over. It appears with its
 * pid already in it (written aside, then hard-linked into place): created empty and written
 * after, a second starter could read it in between, take the empty file for a dead holder's and
 * start a second server on the same SQLite file.
 */
async function acquireStartLock(cfg: DevServerConfig, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  const mine = `${lockFile(cfg)}.${process.pid}`;
  fs.writeFileSync(mine, `${process.pid}\n`);
  for (;;) {
    try {
      fs.linkSync(mine, lockFile(cfg));
      fs.rmSync(mine, { force: true });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        fs.rmSync(mine, { force: true });
        throw err;
      }
    }
    let holder: number;
    try {
      holder = Number(fs.readFileSync(lockFile(cfg), 'utf8').trim());
    } catch {
      continue; // released between the link and the read
    }
    if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) {
      fs.rmSync(lockFile(cfg), { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      fs.rmSync(mine, { force: true });
      throw new CliError(`another hakube (pid ${holder}) is still starting the dev server`);
    }
    await sleep(200);
  }
}

async function waitUntilAnswers(cfg: DevServerConfig, gaveUp: () => boolean, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline && !gaveUp()) {
    if (await answers(address(cfg))) return true;
    await sleep(300);
  }
  return false;
}

/** Ends the server recorded in the pid file, and only that process. */
export async function stopBackground(cfg: DevServerConfig, waitMs = 15_000): Promise<number | undefined> {
  const pid = readPid(cfg);
  if (pid === undefined) return undefined;
  await stopPid(pid, waitMs);
  fs.rmSync(pidFile(cfg), { force: true });
  return pid;
}

export interface ServerStatus {
  pid?: number;
  answering: boolean;
}

export async function status(cfg: DevServerConfig): Promise<ServerStatus> {
  return { pid: readPid(cfg), answering: await answers(address(cfg)) };
}

/**
 * For `hakube demo` and friends: use the server that answers at the configured address, or
 * start hakube's own in the background. Returns the address to connect to.
 */
export async function ensureDevServer(flags: DevServerFlags = {}, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const cfg = devServerConfig(flags, env);
  if (!(await answers(address(cfg)))) await startBackground(cfg);
  return address(cfg);
}

function lastLine(file: string): string {
  try {
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    return (lines[lines.length - 1] ?? '').slice(0, 300);
  } catch {
    return 'no log';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The pid in the pid file if that process is alive and is still this home's Temporal server. */
function readPid(cfg: DevServerConfig): number | undefined {
  return pidFromFile(pidFile(cfg), (argv) => argv.includes('start-dev') && argv.some((a) => a.startsWith(cfg.home)));
}
