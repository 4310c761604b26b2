/**
 * `hakube server --persistence postgres [--background] | stop | status`: the Temporal cluster
 * on PostgreSQL with mTLS (src/temporal/cluster). The Web UI takes a codec endpoint from the
 * `uiCodecEndpoint` flag or HAKUBE_UI_CODEC_ENDPOINT.
 */
import { CliError, EXIT } from './exit';
import {
  clientEnv,
  clusterConfig,
  clusterStatus,
  frontendAddress,
  runClusterForeground,
  startCluster,
  stopCluster,
  uiUrl,
  type ClusterConfig,
  type ClusterFlags,
} from '../temporal/cluster';

export type Persistence = 'sqlite' | 'postgres';

export function persistence(flags: { persistence?: string }, env: NodeJS.ProcessEnv = process.env): Persistence {
  const p = flags.persistence ?? env.HAKUBE_PERSISTENCE ?? 'sqlite';
  if (p !== 'sqlite' && p !== 'postgres') {
    throw new CliError(`invalid --persistence "${p}": expected sqlite (the dev server) or postgres (a Temporal cluster on PostgreSQL)`, EXIT.BAD_INPUT);
  }
  return p;
}

/** The lines an operator pastes so every hakube command reaches this cluster over mTLS. */
function connectHint(cfg: ClusterConfig): string {
  return Object.entries(clientEnv(cfg))
    .map(([k, v]) => `export ${k}=${v}`)
    .join('\n');
}

export async function serverPostgres(flags: ClusterFlags & { background?: boolean }): Promise<void> {
  const cfg = clusterConfig(flags);
  if (!flags.background) {
    process.exitCode = await runClusterForeground(cfg, (line) => process.stderr.write(`hakube server: ${line}\n${connectHint(cfg)}\n`));
    return;
  }
  const s = await startCluster(cfg);
  process.stdout.write(
    `Temporal on PostgreSQL at ${frontendAddress(cfg)} (mTLS; server pid ${s.server}, PostgreSQL pid ${s.postgres} on ${cfg.ip}:${cfg.pgPort}), ` +
      `Web UI ${uiUrl(cfg)}\nconnect with:\n${connectHint(cfg)}\n`,
  );
}

export async function stopPostgresCluster(flags: ClusterFlags): Promise<void> {
  const cfg = clusterConfig(flags);
  const was = await stopCluster(cfg);
  const stopped = [was.ui && `Web UI (pid ${was.ui})`, was.server && `temporal-server (pid ${was.server})`, was.postgres && `PostgreSQL (pid ${was.postgres})`].filter(Boolean);
  process.stdout.write(stopped.length ? `stopped ${stopped.join(', ')}\n` : `no Temporal cluster runs from ${cfg.home}\n`);
}

export async function statusPostgresCluster(flags: ClusterFlags): Promise<void> {
  const cfg = clusterConfig(flags);
  const s = await clusterStatus(cfg);
  const pg = s.postgres ? `PostgreSQL pid ${s.postgres} on ${cfg.ip}:${cfg.pgPort}` : 'PostgreSQL not running';
  if (!s.answering) {
    throw new CliError(
      `no Temporal cluster answers at ${frontendAddress(cfg)} (${pg}${s.server ? `, temporal-server pid ${s.server} is starting or stuck` : ''}): ` +
        'start it with `npx hakube server --persistence postgres --background`',
    );
  }
  process.stdout.write(
    `Temporal answers at ${frontendAddress(cfg)} over mTLS (temporal-server pid ${s.server ?? 'not started by hakube'}, ${pg}), ` +
      `Web UI ${uiUrl(cfg)}${s.uiAnswering ? '' : ' (not answering)'}\n`,
  );
}
