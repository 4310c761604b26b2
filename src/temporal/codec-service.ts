/**
 * Running the codec server beside the local dev server: in this process (`hakube server` in
 * the foreground) or detached with a pid file (`--background`, `hakube demo`), so the Web UI's
 * --ui-codec-endpoint always has something answering it.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';
import { createCodecServer, type CodecServerOptions } from './codec-server';
import { devServerConfig, uiUrl, type DevServerConfig } from './devserver';
import { PROJECT_ROOT } from './paths';
import { alive, pidFromFile, stopPid } from './pids';

/** The UI's origins as a browser names them: the configured address, and localhost for loopback. */
export function uiOrigins(cfg: DevServerConfig): string[] {
  const origins = [uiUrl(cfg)];
  if (cfg.ip === '127.0.0.1') origins.push(`http://localhost:${cfg.uiPort}`);
  return origins;
}

export function codecServerDefaults(env: NodeJS.ProcessEnv = process.env): { ip: string; port: number; origins: string[] } {
  const cfg = devServerConfig({}, env);
  return { ip: cfg.ip, port: cfg.codecPort, origins: uiOrigins(cfg) };
}

export function listenCodecServer(opts: CodecServerOptions, ip: string, port: number): Promise<http.Server> {
  const server = createCodecServer(opts);
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`codec server port ${ip}:${port} is in use: pick another with --port (or HAKUBE_CODEC_PORT)`) : err),
    );
    server.listen(port, ip, () => resolve(server));
  });
}

const pidFile = (cfg: DevServerConfig): string => path.join(cfg.home, 'codec-server.pid');
const logFile = (cfg: DevServerConfig): string => path.join(cfg.home, 'codec-server.log');

/** True when something answers the codec protocol's preflight at the configured port. */
export async function codecAnswers(cfg: DevServerConfig): Promise<boolean> {
  try {
    const res = await fetch(`http://${cfg.ip}:${cfg.codecPort}/decode`, {
      method: 'OPTIONS',
      headers: { Origin: uiUrl(cfg), 'Access-Control-Request-Method': 'POST' },
      signal: AbortSignal.timeout(1000),
    });
    return res.status === 204;
  } catch {
    return false;
  }
}

/** Starts `hakube codec-server` detached for the dev server's UI, unless one already answers. */
export async function startCodecBackground(cfg: DevServerConfig, env: NodeJS.ProcessEnv = process.env): Promise<{ pid?: number; started: boolean }> {
  if (await codecAnswers(cfg)) return { pid: readPid(cfg), started: false };
  fs.mkdirSync(cfg.home, { recursive: true, mode: 0o700 });
  // Two starters at once (two `server --background`) must not both spawn: one holds the lock,
  // the other waits for its server to answer.
  const lock = path.join(cfg.home, 'codec-server.lock');
  try {
    fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const holder = Number(fs.readFileSync(lock, 'utf8').trim());
    if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        if (await codecAnswers(cfg)) return { pid: readPid(cfg), started: false };
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`another hakube (pid ${holder}) is still starting the codec server`);
    }
    fs.writeFileSync(lock, `${process.pid}\n`);
  }
  try {
    return await spawnCodec(cfg, env);
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

async function spawnCodec(cfg: DevServerConfig, env: NodeJS.ProcessEnv): Promise<{ pid?: number; started: boolean }> {
  const log = fs.openSync(logFile(cfg), 'a');
  let pid: number | undefined;
  let exited: string | undefined;
  try {
    const args = [path.join(PROJECT_ROOT, 'bin', 'hakube.js'), 'codec-server', '--ip', cfg.ip, '--port', String(cfg.codecPort), '--ui-origin', ...uiOrigins(cfg)];
    // The token travels in the environment, not argv: the process list is readable by all.
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log], env: { ...env, HAKUBE_HOME: cfg.home } });
    pid = child.pid;
    child.on('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
    child.unref();
  } finally {
    fs.closeSync(log);
  }
  if (pid === undefined) throw new Error('could not start the codec server');
  fs.writeFileSync(pidFile(cfg), `${pid}\n`);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !exited) {
    if (await codecAnswers(cfg)) return { pid, started: true };
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the codec server ${exited ?? 'did not answer in time'}; see ${logFile(cfg)}`);
}

/** Ends the codec server recorded in the pid file, and only that process. */
export async function stopCodecBackground(cfg: DevServerConfig): Promise<number | undefined> {
  const pid = readPid(cfg);
  if (pid === undefined) return undefined;
  await stopPid(pid, 10_000);
  fs.rmSync(pidFile(cfg), { force: true });
  return pid;
}


function readPid(cfg: DevServerConfig): number | undefined {
  return pidFromFile(pidFile(cfg), (argv) => argv.includes('codec-server'));
}
