/**
 * `hakube server [--background] | stop | status`: the local Temporal dev server, or with
 * `--persistence postgres` a Temporal cluster on PostgreSQL with mTLS (./server-postgres).
 */
import type { Command } from 'commander';
import { CliError } from './exit';
import { persistence, serverPostgres, statusPostgresCluster, stopPostgresCluster } from './server-postgres';
import {
  address,
  devServerConfig,
  runForeground,
  startBackground,
  status,
  stopBackground,
  uiUrl,
  type DevServerFlags,
} from '../temporal/devserver';

function serverOptions<T extends Command>(cmd: T): T {
  cmd
    .option('--ip <ip>', 'address to bind the server and Web UI to (env HAKUBE_SERVER_IP)')
    .option('--port <port>', 'gRPC port (env HAKUBE_SERVER_PORT, default 7233)')
    .option('--ui-port <port>', 'Web UI port (env HAKUBE_UI_PORT, default port + 1000)')
    .option('--home <dir>', 'state directory for the database and pid file (env HAKUBE_HOME, default .hakube)')
    .option('--persistence <kind>', 'sqlite (the dev server) or postgres (Temporal cluster on PostgreSQL, mTLS; env HAKUBE_PERSISTENCE)')
    .option('--pg-port <port>', 'PostgreSQL port with --persistence postgres (env HAKUBE_PG_PORT, default port + 199)');
  return cmd;
}

export function register(program: Command): void {
  const server = serverOptions(
    program
      .command('server')
      .description('run the local Temporal dev server (SQLite under .hakube, Web UI on 127.0.0.1:8233)')
      .option('--background', 'start detached, wait until it answers, and return')
      .option('--log-level <level>', 'server log level (env HAKUBE_SERVER_LOG_LEVEL)', undefined),
  ).action(async (flags: DevServerFlags & { background?: boolean; persistence?: string }) => {
    if (persistence(flags) === 'postgres') return serverPostgres(flags);
    const cfg = devServerConfig(flags);
    if (!flags.background) {
      process.exitCode = await runForeground(cfg);
      return;
    }
    const { pid, alreadyRunning } = await startBackground(cfg);
    const what = alreadyRunning ? 'already running' : 'started';
    process.stdout.write(`Temporal dev server ${what} (pid ${pid}) at ${address(cfg)}, Web UI ${uiUrl(cfg)}\n`);
  });

  serverOptions(server.command('stop').description('stop the dev server started with --background')).action(
    async (own: DevServerFlags & { persistence?: string }) => {
      const flags = { ...(server.opts() as DevServerFlags & { persistence?: string }), ...own };
      if (persistence(flags) === 'postgres') return stopPostgresCluster(flags);
      const cfg = devServerConfig(flags);
      const pid = await stopBackground(cfg);
      process.stdout.write(pid === undefined ? `no dev server recorded in ${cfg.home}\n` : `stopped Temporal dev server (pid ${pid})\n`);
    },
  );

  serverOptions(server.command('status').description('say whether the dev server runs and answers')).action(
    async (own: DevServerFlags & { persistence?: string }) => {
      const flags = { ...(server.opts() as DevServerFlags & { persistence?: string }), ...own };
      if (persistence(flags) === 'postgres') return statusPostgresCluster(flags);
      const cfg = devServerConfig(flags);
      const s = await status(cfg);
      if (!s.answering) {
        throw new CliError(`no Temporal server answers at ${address(cfg)}${s.pid ? ` (pid ${s.pid} is starting or stuck)` : ''}: start it with \`npx hakube server --background\``);
      }
      const who = s.pid ? `pid ${s.pid}` : 'not started by hakube';
      process.stdout.write(`Temporal answers at ${address(cfg)} (${who}), Web UI ${uiUrl(cfg)}\n`);
    },
  );
}
