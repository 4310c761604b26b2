/**
 * Where `hakube server --persistence postgres` keeps and finds everything: the programs the
 * set-up built into .tools/, the configuration files docker-compose.yml shares (deploy/temporal),
 * and the state under HAKUBE_HOME (PostgreSQL's data, certificates, pid files, logs).
 * Every port follows the frontend's, so a second cluster needs only `--port`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError, EXIT } from '../../exit';
import { hakubeHome, PROJECT_ROOT } from '../paths';

export interface ClusterFlags {
  ip?: string;
  port?: string | number;
  uiPort?: string | number;
  pgPort?: string | number;
  home?: string;
  logLevel?: string;
  uiCodecEndpoint?: string;
}

export interface ClusterConfig {
  home: string;
  ip: string;
  /** The frontend's gRPC port; the internal ones are offsets from it. */
  port: number;
  uiPort: number;
  pgPort: number;
  logLevel: string;
  /** Passed to the Web UI so it decodes payloads through a codec server (`hakube codec-server`). */
  uiCodecEndpoint?: string;
  namespace: string;
  bin: { server: string; sqlTool: string; ui: string; cli: string; pg: string };
  /** deploy/temporal: config/, ui/, schema.sh, setup.sh. */
  deployDir: string;
  schemaDir: string;
  /** Root-only: certificates, the database password, pid files, logs. */
  stateDir: string;
  tlsDir: string;
  /** Owned by the PostgreSQL user. */
  pgDir: string;
}

const MIN_PORT = 1324;
const MAX_PORT = 32767 + 294;

export function clusterConfig(flags: ClusterFlags = {}, env: NodeJS.ProcessEnv = process.env): ClusterConfig {
  const port = toPort(flags.port ?? env.HAKUBE_SERVER_PORT ?? 7233, '--port');
  // Membership ports sit 300 below and Temporal stores them as a SQL smallint (at most 32767).
  if (port < MIN_PORT || port > MAX_PORT) {
    throw new CliError(`invalid --port ${port} for the PostgreSQL cluster: expected ${MIN_PORT}-${MAX_PORT} (membership ports are port - 300 .. port - 294)`, EXIT.BAD_INPUT);
  }
  const home = flags.home ? path.resolve(flags.home) : hakubeHome(env);
  const tools = path.join(PROJECT_ROOT, '.tools');
  const ip = flags.ip ?? env.HAKUBE_SERVER_IP ?? '127.0.0.1';
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) throw new CliError(`invalid --ip "${ip}": expected an IPv4 address such as 127.0.0.1`, EXIT.BAD_INPUT);
  const codec = flags.uiCodecEndpoint ?? env.HAKUBE_UI_CODEC_ENDPOINT;
  if (codec !== undefined && !/^https?:\/\/[^\s"']+$/.test(codec)) {
    throw new CliError(`invalid --ui-codec-endpoint "${codec}": expected an http(s) URL such as http://127.0.0.1:8888`, EXIT.BAD_INPUT);
  }
  return {
    home,
    ip,
    port,
    uiPort: toPort(flags.uiPort ?? env.HAKUBE_UI_PORT ?? port + 1000, '--ui-port'),
    // 7432 beside the default 7233: clear of a system PostgreSQL on 5432.
    pgPort: toPort(flags.pgPort ?? env.HAKUBE_PG_PORT ?? port + 199, '--pg-port'),
    logLevel: flags.logLevel ?? env.HAKUBE_SERVER_LOG_LEVEL ?? 'warn',
    uiCodecEndpoint: codec,
    namespace: 'default',
    bin: {
      server: path.join(tools, 'bin', 'temporal-server'),
      sqlTool: path.join(tools, 'bin', 'temporal-sql-tool'),
      ui: path.join(tools, 'bin', 'temporal-ui-server'),
      cli: env.HAKUBE_TEMPORAL_BIN ? path.resolve(env.HAKUBE_TEMPORAL_BIN) : path.join(tools, 'bin', 'temporal'),
      pg: postgresBinDir(env),
    },
    deployDir: path.join(PROJECT_ROOT, 'deploy', 'temporal'),
    schemaDir: path.join(tools, 'temporal-schema', 'postgresql', 'v12'),
    stateDir: path.join(home, 'cluster'),
    tlsDir: path.join(home, 'tls'),
    pgDir: path.join(home, 'postgres'),
  };
}

/** Debian keeps each major version's programs apart: the newest installed one wins. */
function postgresBinDir(env: NodeJS.ProcessEnv): string {
  if (env.HAKUBE_PG_BIN) return path.resolve(env.HAKUBE_PG_BIN);
  const base = '/usr/lib/postgresql';
  let versions: string[] = [];
  try {
    versions = fs.readdirSync(base).filter((v) => /^\d+$/.test(v) && fs.existsSync(path.join(base, v, 'bin', 'pg_ctl')));
  } catch {
    // not Debian's layout
  }
  versions.sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(base, versions[0], 'bin') : '/usr/bin';
}

function toPort(value: string | number, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new CliError(`invalid ${what} "${value}": expected a port 1-65535`, EXIT.BAD_INPUT);
  return n;
}

/** A DNS name the server certificate carries, for SNI and verification. */
export const TLS_SERVER_NAME = 'localhost';

export const frontendAddress = (cfg: ClusterConfig): string => `${cfg.ip}:${cfg.port}`;
export const uiUrl = (cfg: ClusterConfig): string => `http://${cfg.ip}:${cfg.uiPort}`;

/** The client side of the frontend's mTLS: what `hakube deploy` and `hakube worker` present. */
export function clientTls(cfg: ClusterConfig): { cert: string; key: string; ca: string } {
  return { cert: path.join(cfg.tlsDir, 'client.pem'), key: path.join(cfg.tlsDir, 'client.key'), ca: path.join(cfg.tlsDir, 'ca.pem') };
}

/** The SDK's own variables (envconfig): an operator exports these and every hakube command connects. */
export function clientEnv(cfg: ClusterConfig): Record<string, string> {
  const t = clientTls(cfg);
  return {
    TEMPORAL_ADDRESS: frontendAddress(cfg),
    TEMPORAL_TLS_CLIENT_CERT_PATH: t.cert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: t.key,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: t.ca,
    // The certificate names localhost too: a TLS server name may not be an IP (RFC 6066).
    TEMPORAL_TLS_SERVER_NAME: TLS_SERVER_NAME,
  };
}
