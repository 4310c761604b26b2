/**
 * `hakube server --persistence postgres`: PostgreSQL, the schema (temporal-sql-tool through
 * deploy/temporal/schema.sh), temporal-server with mTLS, the namespace and search attributes
 * (deploy/temporal/setup.sh) and the Web UI, each started only when it does not already run, so
 * a second start after a crash brings back just what is missing.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError } from '../../exit';
import { ensureCertificates } from './certs';
import { frontendAddress, type ClusterConfig } from './config';
import { PG_USER, pgPassword, postgresPid, startPostgres, stopPostgres } from './postgres';
import { lastLines, runningPid, sleep, spawnDetached, stopPid, type Detached } from './process';
import { frontendAnswers, serverProcess, setupEnv, uiAnswers, uiProcess } from './server';

export * from './config';
export { postgresPid, startPostgres, stopPostgres } from './postgres';
export { serverPidFile } from './server';

export interface ClusterStatus {
  postgres?: number;
  server?: number;
  ui?: number;
  answering: boolean;
  uiAnswering: boolean;
}

function checkInstalled(cfg: ClusterConfig): void {
  for (const bin of [cfg.bin.server, cfg.bin.sqlTool, cfg.bin.ui, cfg.bin.cli, path.join(cfg.bin.pg, 'pg_ctl')]) {
    try {
      fs.accessSync(bin, fs.constants.X_OK);
    } catch {
      throw new CliError(`${bin} is missing: run \`npm run setup\` (builds the Temporal server and installs PostgreSQL)`);
    }
  }
  if (!fs.existsSync(cfg.schemaDir)) throw new CliError(`Temporal's SQL schema is missing at ${cfg.schemaDir}: run \`npm run setup\``);
}

/** deploy/temporal/schema.sh: create the databases, set up and update both schemas. */
export function applySchema(cfg: ClusterConfig): void {
  run('schema', ['sh', path.join(cfg.deployDir, 'schema.sh')], {
    PATH: process.env.PATH,
    SQL_HOST: cfg.ip,
    SQL_PORT: String(cfg.pgPort),
    SQL_USER: PG_USER,
    SQL_PASSWORD: pgPassword(cfg),
    SCHEMA_DIR: cfg.schemaDir,
    SQL_TOOL: cfg.bin.sqlTool,
  });
}

function run(what: string, argv: string[], env: NodeJS.ProcessEnv, timeoutMs = 180_000): void {
  try {
    execFileSync(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: timeoutMs });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    const out = `${e.stderr ?? ''}${e.stdout ?? ''}`.trim().split('\n').slice(-3).join(' | ');
    throw new CliError(`${what} step failed: ${out || (err as Error).message}`);
  }
}

async function waitFor(ok: () => Promise<boolean>, gaveUp: () => string | undefined, waitMs: number): Promise<string | undefined> {
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    if (await ok()) return undefined;
    const why = gaveUp();
    if (why) return why;
    await sleep(300);
  }
  return 'did not answer in time';
}

async function ensureDetached(d: Detached, ok: () => Promise<boolean>, name: string, waitMs: number): Promise<number> {
  const running = runningPid(d.pidFile, d.binary);
  if (running !== undefined && (await waitFor(ok, () => undefined, waitMs)) === undefined) return running;
  if (running !== undefined) await stopPid(running);
  const { pid, exited } = spawnDetached(d);
  const why = await waitFor(ok, exited, waitMs);
  if (why === undefined) return pid;
  if (!exited()) await stopPid(pid);
  fs.rmSync(d.pidFile, { force: true });
  throw new CliError(`${name} ${why}: ${lastLines(d.logFile)} (log ${d.logFile})`);
}

/** Starts whatever part of the cluster is not running and returns once all of it answers. */
export async function startCluster(cfg: ClusterConfig, waitMs = 120_000): Promise<ClusterStatus> {
  checkInstalled(cfg);
  fs.mkdirSync(cfg.stateDir, { recursive: true, mode: 0o700 });
  await withStartLock(cfg, waitMs, async () => {
    ensureCertificates(cfg.tlsDir, cfg.ip);
    startPostgres(cfg);
    applySchema(cfg);
    await ensureDetached(serverProcess(cfg), () => frontendAnswers(cfg), 'temporal-server', waitMs);
    run('namespace and search attributes', ['sh', path.join(cfg.deployDir, 'setup.sh')], setupEnv(cfg));
    await ensureDetached(uiProcess(cfg), () => uiAnswers(cfg), 'Temporal Web UI', 30_000);
  });
  return clusterStatus(cfg);
}

export async function clusterStatus(cfg: ClusterConfig): Promise<ClusterStatus> {
  const s = serverProcess(cfg);
  const u = uiProcess(cfg);
  return {
    postgres: postgresPid(cfg),
    server: fs.existsSync(s.pidFile) ? runningPid(s.pidFile, s.binary) : undefined,
    ui: fs.existsSync(u.pidFile) ? runningPid(u.pidFile, u.binary) : undefined,
    answering: fs.existsSync(path.join(cfg.tlsDir, 'client.pem')) && (await frontendAnswers(cfg)),
    uiAnswering: await uiAnswers(cfg),
  };
}

/** Stops the UI, then the server, then PostgreSQL; returns what was running. */
export async function stopCluster(cfg: ClusterConfig): Promise<ClusterStatus> {
  const before = await clusterStatus(cfg);
  for (const d of [uiProcess(cfg), serverProcess(cfg)]) {
    const pid = runningPid(d.pidFile, d.binary);
    if (pid !== undefined) await stopPid(pid);
    fs.rmSync(d.pidFile, { force: true });
  }
  stopPostgres(cfg);
  return before;
}

/** In the foreground: start it all, then stop it all on Ctrl-C or SIGTERM. */
export async function runClusterForeground(cfg: ClusterConfig, say: (line: string) => void): Promise<number> {
  const started = await startCluster(cfg);
  say(`Temporal on PostgreSQL at ${frontendAddress(cfg)} (mTLS), Web UI http://${cfg.ip}:${cfg.uiPort}, data ${cfg.home}; Ctrl-C stops`);
  const server = serverProcess(cfg);
  // Signal listeners alone do not keep Node running: the watch on the server does, and ends
  // the foreground run when the server dies under it.
  const ended = await new Promise<'signal' | 'server died'>((resolve) => {
    const watch = setInterval(() => {
      if (runningPid(server.pidFile, server.binary) !== started.server) done('server died');
    }, 1000);
    const done = (why: 'signal' | 'server died'): void => {
      clearInterval(watch);
      resolve(why);
    };
    process.once('SIGINT', () => done('signal'));
    process.once('SIGTERM', () => done('signal'));
  });
  if (ended === 'server died') say(`temporal-server exited: ${lastLines(server.logFile)}; stopping the rest`);
  await stopCluster(cfg);
  return ended === 'signal' ? 0 : 1;
}

async function withStartLock(cfg: ClusterConfig, waitMs: number, body: () => Promise<void>): Promise<void> {
  const lock = path.join(cfg.stateDir, 'start.lock');
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(fs.readFileSync(lock, 'utf8').trim());
    let holderAlive = false;
    try {
      process.kill(holder, 0);
      holderAlive = Number.isInteger(holder) && holder > 0;
    } catch {
      // gone: take the lock over
    }
    if (!holderAlive) {
      fs.rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new CliError(`another hakube (pid ${holder}) is still starting the cluster in ${cfg.home}`);
    await sleep(200);
  }
  try {
    await body();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}
