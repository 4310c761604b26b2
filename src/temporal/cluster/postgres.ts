/**
 * The cluster's own PostgreSQL: Debian's postgres programs on a data directory under
 * HAKUBE_HOME/postgres, listening on loopback (or --ip) at its own port and socket directory,
 * one superuser `temporal` with a generated password (scram-sha-256 for every connection).
 * PostgreSQL refuses to run as root, so as root the programs run as the `postgres` system user.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError } from '../../exit';
import type { ClusterConfig } from './config';
import { alive } from './process';

export const PG_USER = 'temporal';
const RUN_AS = 'postgres';

const dataDir = (cfg: ClusterConfig): string => path.join(cfg.pgDir, 'data');
const socketDir = (cfg: ClusterConfig): string => path.join(cfg.pgDir, 'run');
const logFile = (cfg: ClusterConfig): string => path.join(cfg.pgDir, 'postgres.log');
export const passwordFile = (cfg: ClusterConfig): string => path.join(cfg.stateDir, 'postgres.password');

/** The superuser's password, made once and kept root-only beside (not inside) the data. */
export function pgPassword(cfg: ClusterConfig): string {
  try {
    return fs.readFileSync(passwordFile(cfg), 'utf8').trim();
  } catch {
    fs.mkdirSync(cfg.stateDir, { recursive: true, mode: 0o700 });
    const pw = randomBytes(24).toString('base64url');
    fs.writeFileSync(passwordFile(cfg), `${pw}\n`, { mode: 0o600, flag: 'wx' });
    return pw;
  }
}

function owner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', RUN_AS], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', RUN_AS], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new CliError(`PostgreSQL must not run as root and there is no "${RUN_AS}" user: install postgresql with \`npm run setup\``);
  }
}

/** Runs a PostgreSQL program as its own user; its output becomes the error when it fails. */
function pg(cfg: ClusterConfig, program: string, args: string[], timeoutMs = 120_000): string {
  const bin = path.join(cfg.bin.pg, program);
  const argv = owner() ? ['runuser', ['-u', RUN_AS, '--', bin, ...args]] as const : [bin, args] as const;
  try {
    return execFileSync(argv[0], [...argv[1]], { cwd: cfg.pgDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; code?: string };
    if (e.code === 'ENOENT') throw new CliError(`PostgreSQL not installed (${bin}): run \`npm run setup\``);
    const out = `${e.stderr ?? ''}${e.stdout ?? ''}`.trim().split('\n').slice(-3).join(' | ');
    throw new CliError(`${program} ${args[0] ?? ''} failed: ${out} (log ${logFile(cfg)})`);
  }
}

/**
 * The data directory, made on first start. HAKUBE_HOME must be passable (0711) for the postgres
 * user to reach its folder; what is inside HAKUBE_HOME keeps its own modes.
 */
export function ensureInitialized(cfg: ClusterConfig): void {
  const who = owner();
  fs.mkdirSync(cfg.home, { recursive: true, mode: 0o700 });
  if (who) fs.chmodSync(cfg.home, (fs.statSync(cfg.home).mode & 0o777) | 0o711);
  for (const dir of [cfg.pgDir, socketDir(cfg)]) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (who) fs.chownSync(dir, who.uid, who.gid);
  }
  if (fs.existsSync(path.join(dataDir(cfg), 'PG_VERSION'))) return;
  fs.rmSync(dataDir(cfg), { recursive: true, force: true });
  // initdb reads the password from a file the postgres user can read; it lives only for the call.
  const pwFile = path.join(cfg.pgDir, `.pw-${process.pid}`);
  fs.writeFileSync(pwFile, pgPassword(cfg), { mode: 0o600 });
  if (who) fs.chownSync(pwFile, who.uid, who.gid);
  try {
    pg(cfg, 'initdb', ['-D', dataDir(cfg), '-U', PG_USER, `--pwfile=${pwFile}`, '-A', 'scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8']);
  } finally {
    fs.rmSync(pwFile, { force: true });
  }
  fs.appendFileSync(path.join(dataDir(cfg), 'postgresql.conf'), "\n# hakube: where to listen, rewritten on every start\ninclude_if_exists = 'hakube.conf'\n");
}

/** postgresql.conf quotes: a path with a quote or a newline is refused rather than escaped. */
function quoted(value: string): string {
  if (/['\n\\]/.test(value)) throw new CliError(`unusable path for PostgreSQL: ${JSON.stringify(value)}`);
  return `'${value}'`;
}

function writeListenConfig(cfg: ClusterConfig): void {
  const file = path.join(dataDir(cfg), 'hakube.conf');
  const text = [
    `listen_addresses = ${quoted(cfg.ip)}`,
    `port = ${cfg.pgPort}`,
    `unix_socket_directories = ${quoted(socketDir(cfg))}`,
    // Several history shards, matching, visibility and the schema tool: 100 is enough.
    'max_connections = 100',
    '',
  ].join('\n');
  fs.writeFileSync(file, text, { mode: 0o600 });
  const who = owner();
  if (who) fs.chownSync(file, who.uid, who.gid);
}

/** The postmaster's pid when it runs on this data directory. */
export function postgresPid(cfg: ClusterConfig): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir(cfg), 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Starts PostgreSQL unless it runs; returns once it accepts connections. */
export function startPostgres(cfg: ClusterConfig): { pid: number; started: boolean } {
  ensureInitialized(cfg);
  const running = postgresPid(cfg);
  if (running !== undefined) return { pid: running, started: false };
  writeListenConfig(cfg);
  pg(cfg, 'pg_ctl', ['start', '-D', dataDir(cfg), '-l', logFile(cfg), '-w', '-t', '60', '-s']);
  const pid = postgresPid(cfg);
  if (pid === undefined) throw new CliError(`PostgreSQL did not start (log ${logFile(cfg)})`);
  return { pid, started: true };
}

/** A fast shutdown: open transactions roll back, nothing committed is lost. */
export function stopPostgres(cfg: ClusterConfig): number | undefined {
  const pid = postgresPid(cfg);
  if (pid === undefined) return undefined;
  pg(cfg, 'pg_ctl', ['stop', '-D', dataDir(cfg), '-m', 'fast', '-w', '-t', '60', '-s']);
  return pid;
}
