/**
 * The same deploy on the dev server and on the PostgreSQL cluster (issue 16's figures):
 * examples/ha-vip.yaml grown to 3 masters + N workers (default 100) on fresh lab hosts, deployed
 * by `hakube worker` processes: the dev server (SQLite) with 1 worker, then the PostgreSQL
 * cluster with mTLS with 1, 2 and 4 workers, one after the other in one run.
 *
 *   node --import tsx bench/temporal-cluster.ts [N] [--workers 1,2,4] [--slots 5] [--concurrency 20]
 *
 * Each worker runs at most `--slots` activities at once and the spec joins `--concurrency`
 * workers at once, so more workers can only help join-workers when slots, not the spec, bound it.
 * Targets (exit 1 when missed): the cluster with 1 worker no slower than the dev server with 1
 * worker (within 15%), and join-workers with the most workers faster than with 1.
 *
 * Measured here (2 cores, 3+100, slots 5, concurrency 20, one run): dev x1 146.9 s (join-workers
 * 31.6 s); PostgreSQL x1 138.6 s (29.0 s), x2 140.0 s (29.9 s), x4 122.9 s (26.6 s). The two cores,
 * which also run the 103 lab hosts, bound join-workers more than the workers' slots do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import type { Client } from '@temporalio/client';
import { clusterDir } from '../lab/paths';
import { freeSubnet, startLabFromFile, uniqueClusterName, type TestLab } from '../test/helpers/lab';
import { startTestServer } from '../test/helpers/temporal';
import { startTestCluster } from '../test/helpers/cluster';
import { loadSpec } from '../src/spec/load';
import { startDeploy } from '../src/client/deploy';
import { connectClient } from '../src/temporal/connection';
import { progressQuery, type DeployResult, type Progress } from '../src/workflows/defs';

const ROOT = path.join(__dirname, '..');
const TOLERANCE = 1.15;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

interface Figures {
  setup: string;
  workers: number;
  totalS: number;
  phases: Record<string, number>;
  state: string;
}

/** ha-vip with N workers on a fresh /24 under a unique name; the lab brought up for it. */
async function bigLab(n: number, concurrency: number): Promise<{ lab: TestLab; specPath: string }> {
  const doc = parse(fs.readFileSync(path.join(ROOT, 'examples', 'ha-vip.yaml'), 'utf8'));
  const net = await freeSubnet(24);
  const name = uniqueClusterName('tcbench');
  const dir = clusterDir(name);
  doc.metadata.name = name;
  doc.spec.hosts = [
    ...['m1', 'm2', 'm3'].map((h, i) => ({ name: h, address: `${net}.${i + 11}`, roles: ['control-plane'] })),
    ...Array.from({ length: n }, (_, i) => ({ name: `w${i + 1}`, address: `${net}.${i + 21}`, roles: ['worker'] })),
  ];
  doc.spec.loadBalancer.vip = `${net}.250`;
  doc.spec.workers = { concurrency };
  doc.spec.ssh.privateKeyPath = path.join(dir, 'id_ed25519');
  doc.spec.ssh.knownHostsPath = path.join(dir, 'known_hosts');
  fs.mkdirSync(dir, { recursive: true });
  const specPath = path.join(dir, 'cluster.yaml');
  fs.writeFileSync(specPath, stringify(doc));
  return { lab: await startLabFromFile(specPath), specPath };
}

const homes: string[] = [];
/** What a SIGTERM must still take down: labs, workers, servers (newest first). */
const cleanups = new Set<() => Promise<unknown>>();
process.once('SIGTERM', () => {
  console.error('bench: SIGTERM, taking everything down');
  void (async () => {
    for (const c of [...cleanups].reverse()) await c().catch(() => undefined);
    homes.forEach((h) => fs.rmSync(h, { recursive: true, force: true }));
    process.exit(1);
  })();
});

function startWorker(env: NodeJS.ProcessEnv, slots: number): Promise<ChildProcess> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hakube-bench-worker-'));
  homes.push(home);
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/hakube.js'), 'worker', '--max-concurrent-activities', String(slots)], {
    env: { ...env, HAKUBE_HOME: home },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('polling task queue')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited ${code}: ${err.slice(-500)}`)));
  });
}

/** Deploys and records when each phase started and finished (polled every 250 ms). */
async function timedDeploy(client: Client, specPath: string): Promise<Omit<Figures, 'setup' | 'workers'>> {
  const t0 = performance.now();
  const handle = await startDeploy(client, loadSpec(specPath));
  const started: Record<string, number> = {};
  const phases: Record<string, number> = {};
  let done = false;
  const result = handle.result().finally(() => (done = true)) as Promise<DeployResult>;
  const sample = async (): Promise<void> => {
    const p: Progress | undefined = await handle.query(progressQuery).catch(() => undefined);
    const now = performance.now();
    for (const ph of p?.phases ?? []) {
      if (ph.status === 'running' && started[ph.name] === undefined) started[ph.name] = now;
      if (ph.status === 'done' && started[ph.name] !== undefined && phases[ph.name] === undefined) phases[ph.name] = (now - started[ph.name]) / 1000;
    }
    if (p?.state === 'waiting' || p?.state === 'failed') throw new Error(`deploy ${p.state}: ${JSON.stringify(p.waiting ?? p.error)}`);
  };
  while (!done) {
    await sample();
    await new Promise((r) => setTimeout(r, 250));
  }
  const r = await result;
  await sample(); // the last phase ends with the run
  return { totalS: (performance.now() - t0) / 1000, phases, state: r.state };
}

async function measure(setup: string, workers: number, env: NodeJS.ProcessEnv, n: number, slots: number, concurrency: number): Promise<Figures> {
  const { lab, specPath } = await bigLab(n, concurrency);
  const procs: ChildProcess[] = [];
  const down = async (): Promise<void> => {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r)))));
    await lab.down();
  };
  cleanups.add(down);
  try {
    for (let i = 0; i < workers; i++) procs.push(await startWorker(env, slots));
    const client = await connectClient({ env, connectTimeoutMs: 10_000 });
    try {
      const f = { setup, workers, ...(await timedDeploy(client, specPath)) };
      console.log(`${setup} with ${workers} worker(s): ${f.state} in ${f.totalS.toFixed(1)} s; join-workers ${f.phases['join-workers']?.toFixed(1)} s`);
      return f;
    } finally {
      await client.connection.close();
    }
  } finally {
    cleanups.delete(down);
    await down();
  }
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 100);
  const counts = arg('workers', '1,2,4').split(',').map(Number);
  const slots = Number(arg('slots', '5'));
  const concurrency = Number(arg('concurrency', '20'));
  const results: Figures[] = [];

  const dev = await startTestServer();
  const stopDev = () => dev.stop();
  cleanups.add(stopDev);
  try {
    const env = { ...process.env, TEMPORAL_ADDRESS: dev.address, TEMPORAL_NAMESPACE: dev.namespace, HAKUBE_CODEC_KEY: dev.env.HAKUBE_CODEC_KEY };
    results.push(await measure('dev server (SQLite)', 1, env, n, slots, concurrency));
  } finally {
    cleanups.delete(stopDev);
    await dev.stop();
  }
  const cluster = await startTestCluster('hakube-bench-');
  const stopCluster = () => cluster.stop();
  cleanups.add(stopCluster);
  try {
    for (const w of counts) results.push(await measure('PostgreSQL cluster (mTLS)', w, cluster.env, n, slots, concurrency));
  } finally {
    cleanups.delete(stopCluster);
    await cluster.stop();
  }

  const devRun = results[0];
  const pg1 = results.find((r) => r.setup.startsWith('PostgreSQL') && r.workers === 1);
  const pgMost = results.filter((r) => r.setup.startsWith('PostgreSQL')).sort((a, b) => b.workers - a.workers)[0];
  const noSlower = !pg1 || pg1.totalS <= devRun.totalS * TOLERANCE;
  const joinsFaster = !pg1 || pgMost === pg1 || (pgMost.phases['join-workers'] ?? Infinity) < (pg1.phases['join-workers'] ?? 0);
  const allDone = results.every((r) => r.state === 'done');
  const pass = allDone && noSlower && joinsFaster;
  console.log(
    `temporal-cluster 3+${n} (slots ${slots}/worker, concurrency ${concurrency}): ` +
      results.map((r) => `${r.setup} x${r.workers} ${r.totalS.toFixed(1)} s (join-workers ${r.phases['join-workers']?.toFixed(1)} s)`).join('; ') +
      `; PostgreSQL x1 vs dev x1 ${pg1 ? (pg1.totalS / devRun.totalS).toFixed(2) : '-'} (target <= ${TOLERANCE}); ` +
      `join-workers x${pgMost.workers} vs x1 ${pg1 ? ((pgMost.phases['join-workers'] ?? 0) / (pg1.phases['join-workers'] ?? 1)).toFixed(2) : '-'} (target < 1) ${pass ? 'PASS' : 'FAIL'}`,
  );
  console.log(JSON.stringify({ bench: 'temporal-cluster', workers: n, slots, concurrency, results, pass }));
  process.exitCode = pass ? 0 : 1;
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => homes.forEach((h) => fs.rmSync(h, { recursive: true, force: true })));
