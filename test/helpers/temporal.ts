/**
 * Test access to a real Temporal dev server: the same .tools/bin/temporal binary `hakube server`
 * runs (never a download), on free ports, with hakube's search attributes and dynamic config,
 * and a fresh random codec key per server so tests never touch .hakube/codec.key.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { createDataConverter } from '../../src/temporal/data-converter';
import { DYNAMIC_CONFIG } from '../../src/temporal/devserver';
import { PROJECT_ROOT } from '../../src/temporal/paths';
import { SEARCH_ATTRIBUTE_KEYS } from '../../src/temporal/search-attributes';
import { createWorker, type CreateWorkerOptions } from '../../src/worker';

// Worker state changes are logged at INFO; test output only needs warnings and errors. The
// Runtime can be installed once per process, before any worker or connection exists.
try {
  Runtime.install({ logger: new DefaultLogger((process.env.HAKUBE_TEST_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN') });
} catch {
  // Already installed by the importing test: keep its choice.
}

export const TEMPORAL_BIN = path.join(PROJECT_ROOT, '.tools', 'bin', 'temporal');

export interface TestServer {
  testEnv: TestWorkflowEnvironment;
  /** A client with hakube's data converter (codec on, this server's key). */
  client: Client;
  address: string;
  namespace: string;
  /** Environment carrying this server's codec key: pass it to anything that encodes payloads. */
  env: NodeJS.ProcessEnv;
  /** A worker on this server with the same codec key; defaults as in `hakube worker`. */
  worker(opts?: Omit<CreateWorkerOptions, 'connection' | 'namespace' | 'env'>): Promise<Worker>;
  stop(): Promise<void>;
}

export function requireTemporalBinary(): string {
  if (!fs.existsSync(TEMPORAL_BIN)) {
    throw new Error(`Temporal CLI not built at ${TEMPORAL_BIN}: run \`npm run setup\``);
  }
  return TEMPORAL_BIN;
}

export interface TestServerOptions {
  /** Serve the Web UI on this port, decoding through the codec server at codecEndpoint. */
  ui?: { port: number; codecEndpoint: string };
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const executable = requireTemporalBinary();
  const env = { ...process.env, HAKUBE_CODEC_KEY: randomBytes(32).toString('base64') };
  const testEnv = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: executable },
      ip: '127.0.0.1',
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      ...(opts.ui ? { ui: true, uiPort: opts.ui.port } : {}),
      extraArgs: [
        ...Object.entries(DYNAMIC_CONFIG).flatMap(([k, v]) => ['--dynamic-config-value', `${k}=${v}`]),
        ...(opts.ui ? ['--ui-codec-endpoint', opts.ui.codecEndpoint] : []),
      ],
      log: { format: 'pretty', level: 'warn' },
    },
    client: { dataConverter: createDataConverter(env) },
  });
  const namespace = testEnv.namespace ?? 'default';
  return {
    testEnv,
    client: testEnv.client,
    address: testEnv.address,
    namespace,
    env,
    worker: (opts = {}) => createWorker({ ...opts, connection: testEnv.nativeConnection, namespace, env }),
    stop: () => testEnv.teardown(),
  };
}

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/** Bundles a workflows module once per test process: webpack takes seconds per bundle. */
export function bundleOnce(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  let bundle = bundles.get(workflowsPath);
  if (!bundle) {
    bundle = bundleWorkflowCode({ workflowsPath, logger: quietLogger });
    bundles.set(workflowsPath, bundle);
  }
  return bundle;
}

const noop = (): void => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };
