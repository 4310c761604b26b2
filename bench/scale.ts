/**
 * Scale against Temporal's limits (issue: 5,000 hosts in one run). Deploys 3 + N fake hosts
 * (test/helpers/fake-hosts.ts: real workflows and activities on a real dev server, SSH replaced
 * at the transport by hosts served from a process of their own) and measures every workflow's
 * history, the largest workflow task, the progress query, the worker's peak memory apart from
 * the fake hosts', and how long `npx hakube status <cluster>` of the finished run takes.
 * Merges its figures and growth rows into bench/results/latest.json (bench/results.ts), plots
 * deploy time and history bytes of the merged growth against the host count
 * (bench/results/scale.png, Chromium rendering an SVG), and exits 1 when a figure misses its
 * target or was not measured.
 *
 *   node --import tsx bench/scale.ts [workers...]      (default: 97 997 4997, i.e. 100, 1,000 and 5,000 hosts)
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/temporal/paths';
import { WORKFLOW_THREAD_HEAP } from '../src/worker';
import { chromiumBinary } from '../test/helpers/browser';
import { fakeDeploy, type FakeDeployResult } from '../test/helpers/fake-deploy';
import { startTestServer, type TestServer } from '../test/helpers/temporal';
import { figure, recordResults, type Figure, type GrowthRow } from './results';

const MB = 1024 * 1024;
const args = process.argv.slice(2);
// Anything but worker counts is refused: `--help` once started the whole 40-minute bench.
if (args.some((a) => !/^[1-9]\d*$/.test(a))) {
  console.error('usage: node --import tsx bench/scale.ts [workers...]   (default: 97 997 4997, i.e. 100, 1,000 and 5,000 hosts)');
  process.exit(args.some((a) => a === '--help' || a === '-h') ? 0 : 2);
}
const sizes = args.map(Number);
const workersList = sizes.length ? sizes : [97, 997, 4997];
const concurrency = Number(process.env.HAKUBE_BENCH_CONCURRENCY ?? 100);
const timeoutMs = Number(process.env.HAKUBE_BENCH_TIMEOUT_S ?? 1500) * 1000;
/** `hakube status` runs per size: their median is the size's figure. */
const STATUS_RUNS = 3;
const log = (line: string) => process.stderr.write(`bench/scale: ${line}\n`);

interface Row extends GrowthRow, Omit<FakeDeployResult, 'workflows' | 'prepMsPerStep' | 'hosts'> {
  kind: 'fake';
  workflows: number;
  /** Median wall time of `npx hakube status <cluster>` of the finished run, a worker up (s). */
  statusSeconds: number | null;
  /** The same through `node bin/hakube.js`: without npm's own start-up (s). */
  statusSecondsNode: number | null;
  /** Every timed status printed the whole board (the result's final progress), not the closed-run summary. */
  statusAnswered: boolean;
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const round = (x: number | null, d = 2) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);

/** One `status` run as a user types it, against this server; its seconds and whether the query answered. */
function timeStatus(server: TestServer, cmd: string[], cluster: string, home: string): Promise<{ seconds: number; answered: boolean }> {
  const t0 = performance.now();
  const child = spawn(cmd[0], [...cmd.slice(1), 'status', cluster, '--address', server.address, '--namespace', server.namespace], {
    cwd: PROJECT_ROOT,
    // The server's codec key; a home of its own so the run's kubeconfig lands outside .hakube/.
    env: { ...server.env, HAKUBE_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      // The board comes from the result's final progress; without it status prints a summary and says so.
      const answered = /^ +join-workers +done /m.test(out) && !/start a worker for step detail|^deploy [a-z_]+:/m.test(out);
      if (code !== 0 && answered) log(`status ${cluster} exited ${code}: ${out.slice(-400)}`);
      resolve({ seconds, answered });
    });
  });
}

async function statusTimes(server: TestServer, cluster: string): Promise<Pick<Row, 'statusSeconds' | 'statusSecondsNode' | 'statusAnswered'>> {
  const home = mkdtempSync(join(tmpdir(), 'hakube-bench-status-'));
  const npx: number[] = [];
  const node: number[] = [];
  let answered = true;
  for (let i = 0; i < STATUS_RUNS; i++) {
    const a = await timeStatus(server, ['npx', 'hakube'], cluster, home);
    const b = await timeStatus(server, [process.execPath, join(PROJECT_ROOT, 'bin', 'hakube.js')], cluster, home);
    npx.push(a.seconds);
    node.push(b.seconds);
    answered &&= a.answered && b.answered;
  }
  log(`status ${cluster}: npx ${npx.map((x) => x.toFixed(2)).join(' ')} s, node ${node.map((x) => x.toFixed(2)).join(' ')} s${answered ? '' : ' (not every one printed the board)'}`);
  return { statusSeconds: round(median(npx)), statusSecondsNode: round(median(node)), statusAnswered: answered };
}

async function main(): Promise<void> {
  // The CLI's bundle is rebuilt when the sources changed: once here, not in a timed status.
  execFileSync('npx', ['hakube', '--help'], { cwd: PROJECT_ROOT, stdio: 'ignore' });
  const server = await startTestServer();
  const rows: Row[] = [];
  let stepMs: number[] = [];
  try {
    // Per-step overhead: one host at a time, so the figure is the path's cost, not a queue's.
    const step = await fakeDeploy(server, 2, { name: 'scale-step', concurrency: 1 });
    stepMs = step.prepMsPerStep;
    for (const workers of workersList) {
      log(`deploying 3+${workers} fake hosts (concurrency ${concurrency})`);
      let status: Awaited<ReturnType<typeof statusTimes>> = { statusSeconds: null, statusSecondsNode: null, statusAnswered: false };
      const r = await fakeDeploy(server, workers, {
        name: `scale-${workers}`,
        concurrency,
        timeoutMs,
        // as `hakube worker` runs its workflow thread (src/cli/worker.ts passes the same cap)
        workflowThreadHeap: WORKFLOW_THREAD_HEAP,
        withQueryWorker: async () => {
          status = await statusTimes(server, `scale-${workers}`);
        },
      });
      const { workflows, prepMsPerStep, ...rest } = r;
      void prepMsPerStep;
      rows.push({ kind: 'fake', ...rest, workflows: workflows.length, ...status });
      log(JSON.stringify(rows[rows.length - 1]));
    }
  } finally {
    await server.stop();
  }

  const at = (hosts: number) => rows.find((r) => r.hosts === hosts);
  const r100 = at(100);
  const r5000 = at(5000);
  const figures: Record<string, Figure> = {};
  const run5000 = r5000?.error ? `the 5,000-host run did not finish: ${r5000.error}` : undefined;
  figures.history_bytes_max_5000 = figure(r5000?.historyBytesMax, '<=', 10 * MB, run5000);
  figures.history_events_max_5000 = figure(r5000?.historyEventsMax, '<=', 10240, run5000);
  figures.task_bytes_max_5000 = figure(r5000?.taskBytesMax, '<=', 2 * MB, "sum of the events one workflow task's commands produced");
  figures.progress_query_bytes_5000 = figure(r5000?.progressQueryBytes, '<=', 1 * MB);
  figures.worker_rss_mb_5000 = figure(
    r5000?.workerRssMbPeak,
    '<=',
    1024,
    r5000
      ? `bench process (worker, its workflow cache, the client) while it deployed and answered the progress query, by ${r5000.workerRssBy} (${r5000.workerRssMbStart} MB when the worker started, after a gc); the fake hosts, in their own process, peaked at ${r5000.fakesRssMbPeak} MB`
      : undefined,
  );
  const ratio = r100?.statusSeconds && r5000?.statusSeconds ? round(r5000.statusSeconds / r100.statusSeconds) : null;
  figures.status_ratio_5000 = figure(
    ratio,
    '<=',
    2,
    r100 && r5000
      ? `npx hakube status of the finished run, a worker up, median of ${STATUS_RUNS}: ${r5000.statusSeconds} s at 5,000 / ${r100.statusSeconds} s at 100 (node bin/hakube.js: ${r5000.statusSecondsNode} / ${r100.statusSecondsNode} s)${r100.statusAnswered && r5000.statusAnswered ? '' : '; not every status printed the whole board'}`
      : 'needs the 100- and the 5,000-host runs in one bench run',
  );
  const stepP50 = median(stepMs);
  figures.step_overhead_ms_p50 = figure(round(stepP50, 1), '<=', 30, 'prep on fake hosts (commands answer at once): activity scheduled to completed / its steps, 3+2 hosts, one at a time');

  const missed = recordResults('bench/scale.ts (fake hosts)', figures, rows);
  const dir = join(PROJECT_ROOT, 'bench', 'results');
  const merged = (JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as { growth: GrowthRow[] }).growth.filter((r) => r.kind === 'fake');
  plot(merged, join(dir, 'scale.png'));
  process.stdout.write(
    [
      '| figure | value | target | met |',
      '| --- | --- | --- | --- |',
      ...Object.entries(figures).map(([k, f]) => `| ${k} | ${f.value ?? 'not measured'} | ${f.target} | ${f.ok ? 'yes' : 'NO'} |`),
      '',
      '| hosts | deploy s | largest history B | its events | all histories B | largest task B | progress query B | worker RSS MB peak (at start) | fakes RSS MB | status s (npx / node) | error |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows.map((r) => `| ${r.hosts} | ${r.seconds.toFixed(1)} | ${r.historyBytesMax} | ${r.historyEventsMax} | ${r.historyBytesTotal} | ${r.taskBytesMax} | ${r.progressQueryBytes} | ${r.workerRssMbPeak} (${r.workerRssMbStart}) | ${r.fakesRssMbPeak} | ${r.statusSeconds} / ${r.statusSecondsNode}${r.statusAnswered ? '' : ' (closed-run summary)'} | ${r.error ?? ''} |`),
      '',
    ].join('\n'),
  );
  if (missed.length) {
    log(`missed or not measured: ${missed.join(', ')}`);
    process.exitCode = 1;
  }
}

/**
 * Deploy seconds and largest history (MB) against hosts, log-scaled x, as an SVG Chromium renders
 * to PNG. The rows are the merged growth, earlier runs' sizes included; a row without a figure
 * (a run stopped before it finished has no deploy time) leaves only that line's point out.
 */
function plot(growth: GrowthRow[], png: string): void {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const rows = growth.map((r) => ({ hosts: r.hosts, seconds: num(r.seconds), historyMb: num(r.historyBytesMax) === undefined ? undefined : num(r.historyBytesMax)! / MB }));
  if (!rows.length) return;
  const W = 800;
  const H = 420;
  const m = { l: 70, r: 70, t: 40, b: 50 };
  const xs = rows.map((r) => Math.log10(r.hosts));
  const x0 = Math.min(...xs, 1);
  const x1 = Math.max(...xs, 4);
  const X = (h: number) => m.l + ((Math.log10(h) - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
  const maxS = Math.max(...rows.map((r) => r.seconds ?? 0), 1);
  const maxB = Math.max(...rows.map((r) => r.historyMb ?? 0), 10);
  const Y = (v: number, max: number) => H - m.b - (v / max) * (H - m.t - m.b);
  const line = (pts: Array<[number, number]>, color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([a, b]) => `${a},${b}`).join(' ')}"/>` +
    pts.map(([a, b]) => `<circle cx="${a}" cy="${b}" r="4" fill="${color}"/>`).join('');
  const sorted = [...rows].sort((a, b) => a.hosts - b.hosts);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">hakube deploy on fake hosts: time and largest workflow history</text>
<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/>
<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="#1f77b4"/>
<line x1="${W - m.r}" y1="${m.t}" x2="${W - m.r}" y2="${H - m.b}" stroke="#d62728"/>
${sorted.map((r) => `<text x="${X(r.hosts)}" y="${H - m.b + 18}" text-anchor="middle">${r.hosts}</text>`).join('')}
<text x="${W / 2}" y="${H - 10}" text-anchor="middle">hosts (log scale)</text>
<text x="${m.l}" y="${m.t - 6}" fill="#1f77b4">deploy s (max ${maxS.toFixed(0)})</text>
<text x="${W - m.r}" y="${m.t - 6}" text-anchor="end" fill="#d62728">history MB (max ${maxB.toFixed(1)})</text>
<line x1="${m.l}" y1="${Y(10, maxB)}" x2="${W - m.r}" y2="${Y(10, maxB)}" stroke="#d62728" stroke-dasharray="4 4"/>
<text x="${W - m.r - 4}" y="${Y(10, maxB) + 14}" text-anchor="end" fill="#d62728">10 MB warning</text>
${line(sorted.flatMap((r) => (r.seconds === undefined ? [] : [[X(r.hosts), Y(r.seconds, maxS)] as [number, number]])), '#1f77b4')}
${line(sorted.flatMap((r) => (r.historyMb === undefined ? [] : [[X(r.hosts), Y(r.historyMb, maxB)] as [number, number]])), '#d62728')}
</svg>`;
  const dir = mkdtempSync(join(tmpdir(), 'hakube-plot-'));
  const file = join(dir, 'scale.svg');
  writeFileSync(file, svg);
  try {
    execFileSync(chromiumBinary(), ['--headless', '--no-sandbox', '--disable-gpu', `--user-data-dir=${join(dir, 'profile')}`, `--screenshot=${png}`, `--window-size=${W},${H}`, `file://${file}`], { stdio: 'ignore', timeout: 60_000 });
  } catch (err) {
    process.stderr.write(`bench/scale: no plot (${(err as Error).message}); the SVG is ${file}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/scale: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
