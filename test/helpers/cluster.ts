/**
 * Test access to a real Temporal cluster on PostgreSQL with mTLS: `hakube server --persistence
 * postgres` code on free ports under a temporary HAKUBE_HOME, never the project's .hakube.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { clientEnv, clusterConfig, startCluster, stopCluster, type ClusterConfig } from '../../src/temporal/cluster';

export interface TestCluster {
  cfg: ClusterConfig;
  home: string;
  /** What a CLI or worker process needs: address, client certificate, CA, and a shared codec key. */
  env: NodeJS.ProcessEnv;
  /** `hakube server ...` flags naming this cluster. */
  flags: string[];
  stop(): Promise<void>;
}

function listenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A frontend port whose whole family (internal, membership, PostgreSQL, UI) is free. */
export async function freeClusterPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    // Below 32767 + 294: membership ports (base - 300 ..) must fit Temporal's smallint column.
    const base = 21000 + Math.floor(Math.random() * 11000);
    const family = [0, 1, 2, 6, 10, 199, 1000, -300, -299, -298, -294].map((d) => base + d);
    if ((await Promise.all(family.map(listenable))).every(Boolean)) return base;
  }
  throw new Error('no free port family for a test cluster');
}

export async function startTestCluster(prefix = 'hakube-cluster-'): Promise<TestCluster> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const port = await freeClusterPort();
  const cfg = clusterConfig({ home, port });
  const stop = async (): Promise<void> => {
    await stopCluster(cfg).catch(() => undefined);
  };
  try {
    await startCluster(cfg);
  } catch (err) {
    await stop();
    fs.rmSync(home, { recursive: true, force: true });
    throw err;
  }
  return {
    cfg,
    home,
    env: { ...process.env, ...clientEnv(cfg), TEMPORAL_NAMESPACE: cfg.namespace, HAKUBE_CODEC_KEY: randomBytes(32).toString('base64') },
    flags: ['--persistence', 'postgres', '--home', home, '--port', String(port)],
    stop: async () => {
      await stop();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
