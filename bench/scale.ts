/**
 * Scale against Temporal's limits (issue: 5,000 hosts in one run). Deploys 3 + N fake hosts
 * (test/helpers/fake-hosts.ts: real workflows and activities on a real dev server, SSH replaced
 * at the transport by in-process hosts) and measures every workflow's history, the largest
 * workflow task, the progress query and the process's peak memory. Writes
 * bench/results/latest.json (each figure with its target) and latest.md, plots deploy time and
 * history bytes against the host count (bench/results/scale.png, Chromium rendering an SVG),
 * and exits 1 when a figure misses its target or was not measured.
 *
 *   node --import tsx bench/scale.ts [workers...]      (default: 97 997 4997, i.e. 100, 1,000 and 5,000 hosts)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/temporal/paths';
import { chromiumBinary } from '../test/helpers/browser';
import { fakeDeploy, type FakeDeployResult } from '../test/helpers/fake-deploy';
import { startTestServer } from '../test/helpers/temporal';

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

interface Row extends Omit<FakeDeployResult, 'workflows' | 'prepMsPerStep'> {
  kind: 'fake' | 'lab';
  workflows: number;
  rssMbPeak: number;
}

function p50(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const server = await startTestServer();
  const rows: Row[] = [];
  let stepMs: number[] = [];
  try {
    // Per-step overhead: one host at a time, so the figure is the path's cost, not a queue's.
    const step = await fakeDeploy(server, 2, { name: 'scale-step', concurrency: 1 });
    stepMs = step.prepMsPerStep;
    for (const workers of workersList) {
      let peak = process.memoryUsage().rss;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 500);
      process.stderr.write(`bench/scale: deploying 3+${workers} fake hosts (concurrency ${concurrency})\n`);
      const r = await fakeDeploy(server, workers, { name: `scale-${workers}`, concurrency, timeoutMs });
      clearInterval(sampler);
      const { workflows, prepMsPerStep, ...rest } = r;
      void prepMsPerStep;
      rows.push({ kind: 'fake', ...rest, workflows: workflows.length, rssMbPeak: Math.round(peak / MB) });
      process.stderr.write(`bench/scale: ${JSON.stringify(rows[rows.length - 1])}\n`);
    }
  } finally {
    await server.stop();
  }

  const at = (hosts: number) => rows.find((r) => r.hosts === hosts);
  const r5000 = at(5000);
  const r103 = undefined as Row | undefined;
  const value = (x: number | undefined | null) => (x === undefined || x === null || Number.isNaN(x) ? null : x);
  const figures: Record<string, { value: number | null; target: string; ok: boolean; note?: string }> = {};
  const fig = (key: string, v: number | null, target: number, cmp: 'max' | 'min', note?: string) => {
    figures[key] = { value: v, target: `${cmp === 'max' ? '<=' : '>='} ${target}`, ok: v !== null && (cmp === 'max' ? v <= target : v >= target), ...(note ? { note } : {}) };
  };
  const run5000 = r5000?.error ? `the 5,000-host run did not finish: ${r5000.error}` : undefined;
  fig('history_bytes_max_5000', value(r5000?.historyBytesMax), 10 * MB, 'max', run5000);
  fig('history_events_max_5000', value(r5000?.historyEventsMax), 10240, 'max', run5000);
  fig('task_bytes_max_5000', value(r5000?.taskBytesMax), 2 * MB, 'max', 'sum of the events one workflow task\'s commands produced');
  fig('progress_query_bytes_5000', value(r5000?.progressQueryBytes), 1 * MB, 'max');
  fig('worker_rss_mb_5000', value(r5000?.rssMbPeak), 1024, 'max', 'whole bench process: worker, its workflow cache, and the 5,000 in-process fake hosts');
  fig('worker_rss_mb_103', value(r103?.rssMbPeak), 300, 'max', 'lab run (3+100): not measured by this run');
  const stepP50 = p50(stepMs);
  fig('step_overhead_ms_p50', stepP50 === null ? null : Math.round(stepP50 * 10) / 10, 30, 'max', `prep on fake hosts (commands answer at once): activity scheduled to completed / its steps, 3+2 hosts, one at a time`);
  for (const key of ['overhead_ratio', 'vs_ansible_ratio', 'vs_limit_ratio', 'resume_seconds', 'reexecuted_steps']) {
    const target = { overhead_ratio: ['max', 1.1], vs_ansible_ratio: ['min', 10], vs_limit_ratio: ['max', 2], resume_seconds: ['max', 5], reexecuted_steps: ['max', 0] }[key] as ['max' | 'min', number];
    fig(key, null, target[1], target[0], 'needs the lab (100 hosts) and Ansible: not measured by this run');
  }

  const out = {
    date: new Date().toISOString(),
    machine: { hostname: hostname(), cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 1024 ** 3) },
    ...Object.fromEntries(Object.entries(figures).map(([k, f]) => [k, f.value])),
    targets: figures,
    growth: rows,
  };
  const dir = join(PROJECT_ROOT, 'bench', 'results');
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(out, null, 2)}\n`);
  const md = [
    `# bench/scale ${out.date} (${out.machine.cpus} cores, ${out.machine.memGiB} GiB)`,
    '',
    '| figure | value | target | met |',
    '| --- | --- | --- | --- |',
    ...Object.entries(figures).map(([k, f]) => `| ${k} | ${f.value ?? 'not measured'} | ${f.target} | ${f.ok ? 'yes' : 'NO'} |`),
    '',
    '| hosts | kind | deploy s | largest history B | its events | all histories B | largest task B | progress query B | peak RSS MB | error |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.hosts} | ${r.kind} | ${r.seconds.toFixed(1)} | ${r.historyBytesMax} | ${r.historyEventsMax} | ${r.historyBytesTotal} | ${r.taskBytesMax} | ${r.progressQueryBytes} | ${r.rssMbPeak} | ${r.error ?? ''} |`),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'latest.md'), md);
  plot(rows, join(dir, 'scale.png'));
  process.stdout.write(md);
  const missed = Object.entries(figures).filter(([, f]) => !f.ok).map(([k]) => k);
  if (missed.length) {
    process.stderr.write(`bench/scale: missed or not measured: ${missed.join(', ')}\n`);
    process.exitCode = 1;
  }
}

/** Deploy seconds and largest history (MB) against hosts, log-scaled x, as an SVG Chromium renders to PNG. */
function plot(rows: Row[], png: string): void {
  const W = 800;
  const H = 420;
  const m = { l: 70, r: 70, t: 40, b: 50 };
  const xs = rows.map((r) => Math.log10(r.hosts));
  const x0 = Math.min(...xs, 1);
  const x1 = Math.max(...xs, 4);
  const X = (h: number) => m.l + ((Math.log10(h) - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
  const maxS = Math.max(...rows.map((r) => r.seconds), 1);
  const maxB = Math.max(...rows.map((r) => r.historyBytesMax / MB), 10);
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
<text x="${m.l - 8}" y="${m.t - 8}" text-anchor="end" fill="#1f77b4">deploy s (max ${maxS.toFixed(0)})</text>
<text x="${W - m.r + 8}" y="${m.t - 8}" fill="#d62728">history MB (max ${maxB.toFixed(1)})</text>
<line x1="${m.l}" y1="${Y(10, maxB)}" x2="${W - m.r}" y2="${Y(10, maxB)}" stroke="#d62728" stroke-dasharray="4 4"/>
<text x="${W - m.r - 4}" y="${Y(10, maxB) - 4}" text-anchor="end" fill="#d62728">10 MB warning</text>
${line(sorted.map((r) => [X(r.hosts), Y(r.seconds, maxS)]), '#1f77b4')}
${line(sorted.map((r) => [X(r.hosts), Y(r.historyBytesMax / MB, maxB)]), '#d62728')}
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
