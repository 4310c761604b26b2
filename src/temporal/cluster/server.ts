/**
 * The Temporal server of the PostgreSQL cluster: temporal-server with deploy/temporal/config
 * (the file docker-compose.yml runs), its settings passed as the environment that file reads,
 * mTLS on the frontend. Internal ports sit at fixed offsets from the frontend's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { tcpProbe } from '../connection';
import { clientTls, frontendAddress, TLS_SERVER_NAME, type ClusterConfig } from './config';
import { PG_USER, pgPassword } from './postgres';
import type { Detached } from './process';

export const serverPidFile = (cfg: ClusterConfig): string => path.join(cfg.stateDir, 'temporal-server.pid');
export const serverLogFile = (cfg: ClusterConfig): string => path.join(cfg.stateDir, 'temporal-server.log');

/** Only what the server needs: a user's TEMPORAL_* variables would steer its config loader. */
function baseEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' };
}

export function serverProcess(cfg: ClusterConfig): Detached {
  return {
    binary: cfg.bin.server,
    args: ['--root', '/', '--config', path.join(cfg.deployDir, 'config'), '--env', 'hakube', '--allow-no-auth', 'start'],
    env: {
      ...baseEnv(),
      POSTGRES_SEEDS: cfg.ip,
      DB_PORT: String(cfg.pgPort),
      POSTGRES_USER: PG_USER,
      // In the environment, not argv: /proc/<pid>/environ is the owner's only.
      POSTGRES_PWD: pgPassword(cfg),
      BIND_ON_IP: cfg.ip,
      FRONTEND_GRPC_PORT: String(cfg.port),
      FRONTEND_HTTP_PORT: String(cfg.port + 10),
      HISTORY_GRPC_PORT: String(cfg.port + 1),
      MATCHING_GRPC_PORT: String(cfg.port + 2),
      WORKER_GRPC_PORT: String(cfg.port + 6),
      MEMBERSHIP_PORT_BASE: String(cfg.port - 300),
      TLS_DIR: cfg.tlsDir,
      TLS_SERVER_NAME,
      DYNAMIC_CONFIG_FILE: path.join(cfg.deployDir, 'config', 'dynamicconfig.yaml'),
      LOG_LEVEL: cfg.logLevel,
    },
    pidFile: serverPidFile(cfg),
    logFile: serverLogFile(cfg),
    cwd: cfg.stateDir,
  };
}

/** True when the frontend completes an mTLS handshake with hakube's client certificate and answers. */
export async function frontendAnswers(cfg: ClusterConfig, timeoutMs = 2000): Promise<boolean> {
  const address = frontendAddress(cfg);
  if ((await tcpProbe(address, timeoutMs)) !== undefined) return false;
  const t = clientTls(cfg);
  let conn: Connection | undefined;
  try {
    conn = await Connection.connect({
      address,
      connectTimeout: timeoutMs,
      tls: { serverNameOverride: TLS_SERVER_NAME, serverRootCACertificate: fs.readFileSync(t.ca), clientCertPair: { crt: fs.readFileSync(t.cert), key: fs.readFileSync(t.key) } },
    });
    await conn.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await conn?.close().catch(() => undefined);
  }
}

/** The Temporal CLI's own variables for deploy/temporal/setup.sh (envconfig names). */
export function setupEnv(cfg: ClusterConfig): NodeJS.ProcessEnv {
  const t = clientTls(cfg);
  return {
    PATH: `${path.dirname(cfg.bin.cli)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: process.env.HOME ?? '/root',
    TEMPORAL_ADDRESS: frontendAddress(cfg),
    NAMESPACE: cfg.namespace,
    TEMPORAL_TLS_CLIENT_CERT_PATH: t.cert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: t.key,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: t.ca,
    TEMPORAL_TLS_SERVER_NAME: TLS_SERVER_NAME,
  };
}

/** The Web UI server with deploy/temporal/ui (the temporalio/ui image's variables). */
export function uiProcess(cfg: ClusterConfig): Detached {
  const t = clientTls(cfg);
  const url = `http://${cfg.ip}:${cfg.uiPort}`;
  return {
    binary: cfg.bin.ui,
    args: ['--root', '/', '--config', path.join(cfg.deployDir, 'ui'), '--env', 'hakube', 'start'],
    env: {
      ...baseEnv(),
      TEMPORAL_ADDRESS: frontendAddress(cfg),
      TEMPORAL_UI_IP: cfg.ip,
      TEMPORAL_UI_PORT: String(cfg.uiPort),
      TEMPORAL_DEFAULT_NAMESPACE: cfg.namespace,
      TEMPORAL_CORS_ORIGINS: `${url},http://localhost:${cfg.uiPort}`,
      TEMPORAL_TLS_CA: t.ca,
      TEMPORAL_TLS_CERT: t.cert,
      TEMPORAL_TLS_KEY: t.key,
      TEMPORAL_TLS_SERVER_NAME: TLS_SERVER_NAME,
      TEMPORAL_CODEC_ENDPOINT: cfg.uiCodecEndpoint ?? '',
    },
    pidFile: path.join(cfg.stateDir, 'temporal-ui.pid'),
    logFile: path.join(cfg.stateDir, 'temporal-ui.log'),
    cwd: cfg.stateDir,
  };
}

export async function uiAnswers(cfg: ClusterConfig, timeoutMs = 1000): Promise<boolean> {
  try {
    const res = await fetch(`http://${cfg.ip}:${cfg.uiPort}/api/v1/namespaces/${cfg.namespace}/workflows`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}
