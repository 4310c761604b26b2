/**
 * How hakube finds and connects to Temporal. Settings come from CLI flags, else the SDK's
 * envconfig conventions (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*,
 * TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE / ~/.config/temporalio/temporal.toml), else the local
 * dev server. Connection failures become one-line CliErrors the operator can act on.
 */
import * as net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import { loadClientConfigProfile, toClientOptions, type ClientConfigProfile } from '@temporalio/envconfig';
import { CliError, EXIT } from '../exit';
import { createDataConverter } from './data-converter';
import type { ConnectionFlags } from './connection-flags';

export { addConnectionOptions, type ConnectionFlags } from './connection-flags';

export const DEFAULT_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_NAMESPACE = 'default';

export interface ResolvedConnection {
  address: string;
  namespace: string;
  /** Shared by client and worker connections; holds key material, so never log it. */
  connectionOptions: {
    address: string;
    tls?: ReturnType<typeof toClientOptions>['connectionOptions']['tls'];
    apiKey?: string;
    metadata?: Record<string, string>;
  };
}

/** Flags override environment, which overrides the config file; then the local defaults apply. */
export function resolveConnection(flags: ConnectionFlags = {}, env: NodeJS.ProcessEnv = process.env): ResolvedConnection {
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({
      profile: flags.profile,
      overrideEnvVars: env as Record<string, string>,
    });
  } catch (err) {
    throw new CliError(`cannot load Temporal client config: ${oneLine(err)}`, EXIT.BAD_INPUT);
  }
  const address = flags.address ?? profile.address ?? localServerAddress(env);
  checkAddress(address);
  const namespace = flags.namespace ?? profile.namespace ?? DEFAULT_NAMESPACE;
  const apiKey = flags.apiKey ?? profile.apiKey;
  const tls = { ...profile.tls };
  if (flags.tlsCert) tls.clientCert = { path: flags.tlsCert };
  if (flags.tlsKey) tls.clientKey = { path: flags.tlsKey };
  if (flags.tlsCa) tls.serverCACert = { path: flags.tlsCa };
  if (flags.tlsServerName) tls.serverName = flags.tlsServerName;
  if (!!tls.clientCert !== !!tls.clientKey) {
    throw new CliError('TLS needs both a client certificate and its key (--tls-cert and --tls-key)', EXIT.BAD_INPUT);
  }
  const hasTls = profile.tls !== undefined || flags.tlsCert || flags.tlsCa || flags.tlsServerName;
  let converted: ReturnType<typeof toClientOptions>;
  try {
    converted = toClientOptions({ ...profile, address, namespace, apiKey, tls: hasTls ? tls : undefined });
  } catch (err) {
    throw new CliError(`cannot read TLS file: ${oneLine(err)}`, EXIT.BAD_INPUT);
  }
  const { tls: tlsConfig, metadata } = converted.connectionOptions;
  return {
    address,
    namespace,
    connectionOptions: { address, tls: tlsConfig, apiKey, metadata: metadata as Record<string, string> | undefined },
  };
}

/** Where `hakube server` listens when moved with HAKUBE_SERVER_IP / HAKUBE_SERVER_PORT. */
function localServerAddress(env: NodeJS.ProcessEnv): string {
  if (!env.HAKUBE_SERVER_IP && !env.HAKUBE_SERVER_PORT) return DEFAULT_ADDRESS;
  return `${env.HAKUBE_SERVER_IP ?? '127.0.0.1'}:${env.HAKUBE_SERVER_PORT ?? '7233'}`;
}

function checkAddress(address: string): void {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:/\s]+):(\d{1,5})$/.exec(address);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) {
    throw new CliError(`invalid Temporal address "${address}": expected host:port, e.g. ${DEFAULT_ADDRESS}`, EXIT.BAD_INPUT);
  }
}

export interface ConnectOptions extends ConnectionFlags {
  env?: NodeJS.ProcessEnv;
  dataConverter?: DataConverter;
  /** How long to wait for the server before giving up (default 5 s). */
  connectTimeoutMs?: number;
}

/** A Client with hakube's data converter, or a CliError saying what to do. */
export async function connectClient(opts: ConnectOptions = {}): Promise<Client> {
  const resolved = resolveConnection(opts, opts.env);
  await probe(resolved, opts.connectTimeoutMs ?? 5000);
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...resolved.connectionOptions, connectTimeout: opts.connectTimeoutMs ?? 5000 });
  } catch (err) {
    throw connectError(resolved, err);
  }
  await checkNamespace(resolved, () => connection.workflowService.describeNamespace({ namespace: resolved.namespace }), () =>
    connection.close(),
  );
  return new Client({
    connection,
    namespace: resolved.namespace,
    dataConverter: opts.dataConverter ?? createDataConverter(opts.env),
  });
}

/** The Rust-core connection a Worker needs, with the same resolution and error messages. */
export async function connectNative(opts: ConnectOptions = {}): Promise<{ connection: NativeConnection; namespace: string; address: string }> {
  const resolved = resolveConnection(opts, opts.env);
  await probe(resolved, opts.connectTimeoutMs ?? 5000);
  let connection: NativeConnection;
  try {
    const connecting = NativeConnection.connect(resolved.connectionOptions);
    connection = await withTimeout(connecting, opts.connectTimeoutMs ?? 5000, (late) => void late.close().catch(() => undefined));
  } catch (err) {
    throw connectError(resolved, err);
  }
  await checkNamespace(resolved, () => connection.workflowService.describeNamespace({ namespace: resolved.namespace }), () =>
    connection.close(),
  );
  return { connection, namespace: resolved.namespace, address: resolved.address };
}

async function checkNamespace(resolved: ResolvedConnection, describe: () => Promise<unknown>, close: () => Promise<void>): Promise<void> {
  try {
    await describe();
  } catch (err) {
    // Only a clear "not found" is fatal: some API keys may not be allowed to describe namespaces.
    if (grpcCode(err) === 5) {
      await close().catch(() => undefined);
      throw new CliError(
        `namespace "${resolved.namespace}" not found at ${resolved.address}: create it or pass --namespace`,
        EXIT.FAILED,
      );
    }
  }
}

function connectError(resolved: ResolvedConnection, err: unknown): CliError {
  const msg = oneLine(err);
  const code = grpcCode(err);
  if (code === 16 || code === 7 || /unauthenticated|permission denied|PERMISSION_DENIED/i.test(msg)) {
    return new CliError(`Temporal at ${resolved.address} rejected the credentials (check --api-key / --tls-cert): ${msg}`);
  }
  if (resolved.connectionOptions.tls && /tls|ssl|certificate|handshake/i.test(msg)) {
    return new CliError(`TLS connection to Temporal at ${resolved.address} failed (check --tls-ca / --tls-server-name): ${msg}`);
  }
  return new CliError(`cannot reach Temporal at ${resolved.address}: start it with \`npx hakube server\` or pass --address`);
}

/**
 * A plain TCP connect first: a refused port or an unknown host fails in milliseconds here,
 * where gRPC would keep retrying until its deadline and then say less.
 */
async function probe(resolved: ResolvedConnection, timeoutMs: number): Promise<void> {
  const code = await tcpProbe(resolved.address, timeoutMs);
  if (code === undefined) return;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    throw new CliError(`cannot reach Temporal at ${resolved.address}: unknown host; check --address or TEMPORAL_ADDRESS`);
  }
  throw new CliError(
    `cannot reach Temporal at ${resolved.address} (${code}): start it with \`npx hakube server\` or pass --address`,
  );
}

/** Opens and closes a TCP connection: undefined when something listens, else the error code. */
export async function tcpProbe(address: string, timeoutMs: number): Promise<string | undefined> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[|\]$/g, '');
  const socket = net.connect({ host, port: Number(address.slice(i + 1)), timeout: timeoutMs });
  return new Promise<string | undefined>((resolve) => {
    socket.once('connect', () => resolve(undefined));
    socket.once('timeout', () => resolve('ETIMEDOUT'));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  }).finally(() => socket.destroy());
}

function grpcCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.cause?.code === 'number') return e.cause.code;
  return undefined;
}

function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].slice(0, 300);
}

/** Rejects after `ms`; a value that still arrives later is handed to `discard` (e.g. closed). */
async function withTimeout<T>(p: Promise<T>, ms: number, discard: (late: T) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      p.then(discard, () => undefined);
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
