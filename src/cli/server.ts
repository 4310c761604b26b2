/**
 * `hakube server [--background] | stop | status`: the local Temporal dev server, or with
 * `--persistence postgres` a Temporal cluster on PostgreSQL with mTLS (./server-postgres).
 */
import type { Command } from 'commander';
import { CliError } from './exit';
import type { DevServerFlags } from '../temporal/devserver';

const devserver = () => import('../temporal/devserver');
const codecService = () => import('../temporal/codec-service');
const postgres = () => import('./server-postgres');

function serverOptions<T extends Command>(cmd: T): T {
  cmd
    .option('--ip <ip>', 'address to bind the server and Web UI to (env HAKUBE_SERVER_IP)')
    .option('--port <port>', 'gRPC port (env HAKUBE_SERVER_PORT, default 7233)')
    .option('--ui-port <port>', 'Web UI port (env HAKUBE_UI_PORT, default port + 1000)')
    .option('--codec-port <port>', "the Web UI's codec server port (env HAKUBE_CODEC_PORT, default UI port + 1)")
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
    if (flags.persistence ?? process.env.HAKUBE_PERSISTENCE) {
      const pg = await postgres();
      if (pg.persistence(flags) === 'postgres') return pg.serverPostgres(flags);
    }
    const { address, devServerConfig, runForeground, startBackground, uiUrl } = await devserver();
    const cfg = devServerConfig(flags);
    if (!flags.background) {
      // The Web UI's codec server runs in this process for as long as the dev server does.
      const [{ createCodec }, { DisplayCodec }, { listenCodecServer, uiOrigins }] = await Promise.all([
        import('../temporal/data-converter'),
        import('../temporal/display-codec'),
        codecService(),
      ]);
      const codec = await listenCodecServer({ codec: new DisplayCodec(createCodec()), origins: uiOrigins(cfg), token: cfg.codecToken }, cfg.ip, cfg.codecPort);
      try {
        process.exitCode = await runForeground(cfg);
      } finally {
        codec.close();
      }
      return;
    }
    const { pid, alreadyRunning } = await startBackground(cfg);
    const what = alreadyRunning ? 'already running' : 'started';
    process.stdout.write(`Temporal dev server ${what} (pid ${pid}) at ${address(cfg)}, Web UI ${uiUrl(cfg)}\n`);
    const codec = await (await codecService()).startCodecBackground(cfg);
    process.stdout.write(`codec server for the Web UI ${codec.started ? 'started' : 'already running'}${codec.pid ? ` (pid ${codec.pid})` : ''} at http://${cfg.ip}:${cfg.codecPort}${cfg.codecToken ? ' (token required)' : ''}\n`);
  });

  serverOptions(server.command('stop').description('stop the dev server started with --background')).action(
    async (own: DevServerFlags & { persistence?: string }) => {
      const flags = { ...(server.opts() as DevServerFlags & { persistence?: string }), ...own };
      if (flags.persistence ?? process.env.HAKUBE_PERSISTENCE) {
        const pg = await postgres();
        if (pg.persistence(flags) === 'postgres') return pg.stopPostgresCluster(flags);
      }
      const { devServerConfig, stopBackground } = await devserver();
      const cfg = devServerConfig(flags);
      const pid = await stopBackground(cfg);
      process.stdout.write(pid === undefined ? `no dev server recorded in ${cfg.home}\n` : `stopped Temporal dev server (pid ${pid})\n`);
      const codec = await (await codecService()).stopCodecBackground(cfg);
      if (codec !== undefined) process.stdout.write(`stopped the codec server (pid ${codec})\n`);
    },
  );

  serverOptions(server.command('status').description('say whether the dev server runs and answers')).action(
    async (own: DevServerFlags & { persistence?: string }) => {
      const flags = { ...(server.opts() as DevServerFlags & { persistence?: string }), ...own };
      if (flags.persistence ?? process.env.HAKUBE_PERSISTENCE) {
        const pg = await postgres();
        if (pg.persistence(flags) === 'postgres') return pg.statusPostgresCluster(flags);
      }
      const { address, devServerConfig, status, uiUrl } = await devserver();
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
