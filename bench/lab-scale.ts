/**
 * Issue #15, targets 3 and 4, on the lab (real network namespaces, real sshd, the simulators) and
 * a real Temporal dev server:
 *
 * - Target 4, on the same 100 lab hosts in one run: a 3-step fragment (copy a small file, read
 *   it back, run a command) through hakube's workflow path (bench/lab-fragment: a workflow on
 *   the test server, activities on hakube's SshPool and step runner), Debian's ansible-playbook
 *   (forks = hakube's default concurrency, pipelining, host key checking, warm) and a bare ssh2
 *   script. Each runs once to warm up (connections, caches); hakube and ssh2 are then timed as
 *   the median of 5 warm runs, ansible (about 45 s a run) on one.
 *   vs_ansible_ratio = ansible s / hakube s (>= 10), vs_limit_ratio = hakube s / ssh2 s (<= 2).
 * - Target 3: a 3-master + N-worker deploy of examples/ha-vip.yaml grown to N workers, worker as
 *   its own `hakube worker` process; wall time divided by the critical path of the commands the
 *   hosts ran (bench/critical-path.ts over the ms exec log of bench/lab-exec-timing.ts).
 *   overhead_ratio (<= 1.10) and, at N = 100, worker_rss_mb_103 (<= 300): the worker's peak
 *   VmRSS while it deploys (its VmHWM, webpack bundling included, goes in the note).
 *
 *   node --import tsx bench/lab-scale.ts [--no-fragment] [--no-deploy] [workers...]   (default 100)
 *
 * Merges its figures into bench/results/latest.json (bench/results.ts); exits 1 when one misses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { startDeploy } from '../src/client/deploy';
import { SshPool } from '../src/ssh';
import { loadSpec } from '../src/spec/load';
import { PROJECT_ROOT } from '../src/temporal/paths';
import { cliEnv, dropKubeconfig, resultUnlessWaiting } from '../test/e2e/deploy-support';
import { startLabFromFile, type TestLab } from '../test/helpers/lab';
import { workerPidOf } from '../test/helpers/worker-pid';
import { bundleOnce, startTestServer, type TestServer } from '../test/helpers/temporal';
import { criticalPath } from './critical-path';
import { createFragmentActivities } from './lab-fragment/activities';
import { ensureAnsible, runPlay, writeAnsibleProject } from './lab-fragment/ansible';
import { BareSsh } from './lab-fragment/ssh2-bare';
import { execTimes, installExecTiming } from './lab-exec-timing';
import { writeHaVipLabSpec } from './lab-spec';
import { figure, recordResults, type Figure, type GrowthRow } from './results';

const FRAGMENT_QUEUE = 'hakube-bench-fragment';
/** The 100 hosts; fewer only to try the bench out. */
const FRAGMENT_HOSTS = Number(process.env.HAKUBE_BENCH_FRAGMENT_HOSTS ?? 100);
const log = (line: string) => process.stderr.write(`bench/lab-scale: ${line}\n`);
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** Warm runs of hakube and ssh2 (a few seconds each): their median is the figure. Ansible's take ~45 s: one. */
const WARM_RUNS = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** About 1 KiB of text, different for every run so every tool really writes it. */
const payload = (run: string) => Array.from({ length: 16 }, (_, i) => `hakube lab bench ${run} line ${String(i).padStart(2, '0')} ${'x'.repeat(32)}`).join('\n') + '\n';

async function withLab<T>(workers: number, prefix: string, use: (lab: TestLab, specPath: string) => Promise<T>): Promise<T> {
  const { cluster, specPath } = await writeHaVipLabSpec(workers, prefix);
  const t0 = performance.now();
  const lab = await startLabFromFile(specPath);
  log(`lab ${cluster}: ${3 + workers} hosts up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  try {
    return await use(lab, specPath);
  } finally {
    dropKubeconfig(cluster);
    await lab.down();
    log(`lab ${cluster}: down`);
  }
}

async function fragmentBench(server: TestServer, figures: Record<string, Figure>): Promise<void> {
  const ansibleVersion = ensureAnsible();
  await withLab(FRAGMENT_HOSTS - 3, 'frag', async (lab, specPath) => {
    const spec = loadSpec(specPath);
    // hakube's default: the schema's workers.concurrency, which prep and join-workers run at.
    const concurrency = spec.spec.workers.concurrency;
    const hosts = spec.spec.hosts.map((h) => ({ name: h.name, address: h.address }));
    const st = lab.state();
    const sshOpts = { port: st.sshPort, user: st.sshUser, privateKeyPath: st.privateKeyPath, knownHostsPath: st.knownHostsPath };
    const loadStart = load();

    const pool = new SshPool();
    let inside: number[] = [];
    const worker = await server.worker({
      workflowBundle: await bundleOnce(join(__dirname, 'lab-fragment', 'workflows.ts')),
      activities: createFragmentActivities(pool, spec, (ms) => inside.push(ms)),
      taskQueue: FRAGMENT_QUEUE,
    });
    let n = 0;
    const hakubeRun = (p: string) =>
      timed(async () => {
        const steps = await server.client.workflow.execute('labFragment', {
          taskQueue: FRAGMENT_QUEUE,
          workflowId: `bench-fragment-${process.pid}-${n++}`,
          args: [{ hosts: hosts.map((h) => h.name), concurrency, payload: p }],
        });
        if (steps !== 3 * hosts.length) throw new Error(`hakube fragment ran ${steps} steps`);
      });
    const warmRuns = async (tool: string, run: (p: string) => Promise<number>) => {
      const xs: number[] = [];
      for (let i = 0; i < WARM_RUNS; i++) {
        inside = [];
        xs.push(await run(payload(`${tool}-warm-${i}`)));
      }
      return xs;
    };
    const [hakubeCold, hakubeRuns] = await worker.runUntil(async () => [await hakubeRun('hakube-cold'), await warmRuns('hakube', hakubeRun)] as const);
    const hakubeWarm = median(hakubeRuns);
    // Of the last warm run: how much of the slots' time went to the SSH work inside activities.
    const busy = inside.reduce((a, b) => a + b, 0) / 1000 / (hakubeRuns[hakubeRuns.length - 1] * concurrency);
    const insideNote = `inside the activities (hakube's step runner over SSH) p50 ${median(inside).toFixed(0)} ms a host, ${(busy * 100).toFixed(0)}% of the ${concurrency} slots' time; the rest is Temporal scheduling`;
    log(`hakube: ${insideNote}`);
    pool.closeAll();
    log(`hakube: cold ${hakubeCold.toFixed(2)} s, warm ${hakubeRuns.map((x) => x.toFixed(2)).join(' ')} s (${hosts.length} hosts, concurrency ${concurrency}; load ${load()})`);

    const bare = new BareSsh(sshOpts);
    let bareCold: number;
    let bareRuns: number[];
    try {
      const bareRun = (p: string) => timed(() => bare.run(hosts, concurrency, p));
      bareCold = await bareRun(payload('ssh2-cold'));
      bareRuns = await warmRuns('ssh2', bareRun);
    } finally {
      bare.close();
    }
    const bareWarm = median(bareRuns);
    log(`ssh2: cold ${bareCold.toFixed(2)} s, warm ${bareRuns.map((x) => x.toFixed(2)).join(' ')} s (load ${load()})`);

    const project = writeAnsibleProject(hosts, sshOpts, concurrency);
    const ansibleCold = await timed(() => runPlay(project, payload('ansible-1')));
    let recap = '';
    const ansibleWarm = await timed(async () => (recap = await runPlay(project, payload('ansible-2'))));
    log(`ansible: cold ${ansibleCold.toFixed(2)} s, warm ${ansibleWarm.toFixed(2)} s (load ${load()})\n${recap.split('\n').slice(0, 3).join('\n')}`);
    const persisted = readdirSync(join(project.dir, 'cp')).length;
    log(`ansible: ${persisted} SSH control masters kept for the warm run`);
    // Stop the play's ControlPersist masters (children of ssh started by this bench) with the lab.
    await new Promise((r) => spawn('/usr/bin/ansible', ['lab', '-m', 'meta', '-a', 'reset_connection'], { cwd: project.dir, env: project.env, stdio: 'ignore' }).on('close', r));
    rmSync(project.dir, { recursive: true, force: true });

    const where = `${hosts.length} lab hosts, concurrency/forks ${concurrency}, median of ${WARM_RUNS} warm runs for hakube and ssh2, one for ansible after its warm-up (cold: hakube ${hakubeCold.toFixed(2)} s, ssh2 ${bareCold.toFixed(2)} s, ansible ${ansibleCold.toFixed(2)} s); load ${loadStart} -> ${load()} on ${cpus().length} cores`;
    if (hosts.length !== 100) return log(`fragment on ${hosts.length} hosts, not 100: figures not recorded`);
    figures.vs_ansible_ratio = figure(round(ansibleWarm / hakubeWarm), '>=', 10, `${ansibleVersion}: ${ansibleWarm.toFixed(2)} s vs hakube ${hakubeWarm.toFixed(2)} s; ${where}`);
    figures.vs_limit_ratio = figure(round(hakubeWarm / bareWarm), '<=', 2, `hakube ${hakubeWarm.toFixed(2)} s vs bare ssh2 ${bareWarm.toFixed(2)} s (${Math.round((bareWarm * 1000 * concurrency) / hosts.length)} ms a host); ${insideNote}; ${where}`);
  });
}

/** VmRSS (now) or VmHWM (peak since the process started, its workflow bundling included), MB. */
function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/** `hakube worker` against the test server, as an operator runs it; resolves once it polls. */
function startWorkerProcess(server: TestServer): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'hakube.js'), 'worker'], { env: cliEnv(server), cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => reject(new Error(`hakube worker did not start polling:\n${err}`)), 180_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (/polling task queue/.test(err)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`hakube worker exited ${code}:\n${err}`)));
  });
}

async function deployBench(server: TestServer, workers: number, figures: Record<string, Figure>, growth: GrowthRow[]): Promise<void> {
  await withLab(workers, `ovh${workers}`, async (lab, specPath) => {
    const spec = loadSpec(specPath);
    const names = spec.spec.hosts.map((h) => h.name);
    await installExecTiming(lab, names);
    const worker = await startWorkerProcess(server);
    try {
      // On Linux the launcher runs the worker as its child (bin/hakube.js, MALLOC_ARENA_MAX): measure that one.
      const workerPid = workerPidOf(worker.pid!);
      const loadStart = load();
      // The peak while it deploys; VmHWM also counts webpack bundling the workflows at start.
      let rss = statusMb(workerPid, 'VmRSS');
      const sampler = setInterval(() => (rss = Math.max(rss, statusMb(workerPid, 'VmRSS'))), 250);
      const t0 = performance.now();
      const startedAt = Date.now() / 1000;
      const handle = await startDeploy(server.client, spec);
      const result = await resultUnlessWaiting(handle).finally(() => clearInterval(sampler));
      const wallS = (performance.now() - t0) / 1000;
      const endedAt = Date.now() / 1000;
      const hwm = statusMb(workerPid, 'VmHWM');
      // The launcher's own peak: it only passes signals on, so this is Node's floor.
      const launcherMb = workerPid === worker.pid ? 0 : statusMb(worker.pid!, 'VmHWM');
      if (result.state !== 'done') throw new Error(`deploy of 3+${workers} ended ${result.state}`);
      const cmds = await execTimes(lab, names);
      const cp = criticalPath(cmds);
      const cpS = cp.ms / 1000;
      const ratio = round(wallS / cpS, 3);
      const top = [...cp.chain].sort((a, b) => b.end - b.start - (a.end - a.start)).slice(0, 5).map((c) => `${c.host} ${((c.end - c.start) / 1000).toFixed(1)} s ${c.line.slice(0, 60)}`);
      // Where the overhead is: the widest idle gaps between consecutive commands of the path.
      const gaps = cp.chain.slice(1).map((c, i) => ({ ms: c.start - cp.chain[i].end, after: cp.chain[i], next: c })).sort((a, b) => b.ms - a.ms).slice(0, 5);
      const gapText = gaps.map((g) => `${(g.ms / 1000).toFixed(2)} s between ${g.after.host} ${g.after.line.slice(0, 40)} and ${g.next.host} ${g.next.line.slice(0, 40)}`);
      log(`deploy 3+${workers}: wall ${wallS.toFixed(1)} s, critical path ${cpS.toFixed(1)} s over ${cp.chain.length} of ${cmds.length} commands, ratio ${ratio}, worker peak RSS ${rss} MB while deploying, VmHWM ${hwm} MB, its launcher ${launcherMb} MB (load ${loadStart} -> ${load()})\n  longest on the path: ${top.join('\n  ')}\n  widest gaps: ${gapText.join('\n  ')}\n  before the first: ${((cp.chain[0]?.start ?? 0) / 1000 - startedAt).toFixed(2)} s, after the last: ${(endedAt - (cp.chain[cp.chain.length - 1]?.end ?? 0) / 1000).toFixed(2)} s`);
      const note = `3+${workers} lab deploy of ha-vip: wall ${wallS.toFixed(1)} s / critical path ${cpS.toFixed(1)} s (${cp.chain.length} chained of ${cmds.length} commands, ms exec log); load ${loadStart} -> ${load()}`;
      const prev = figures.overhead_ratio?.note?.match(/^3\+(\d+)/);
      if (!prev || Number(prev[1]) <= workers) figures.overhead_ratio = figure(ratio, '<=', 1.1, note);
      if (workers === 100) figures.worker_rss_mb_103 = figure(rss, '<=', 300, `hakube worker process: peak VmRSS sampled every 250 ms during the 3+100 lab deploy (VmHWM since its start, webpack bundling of the workflows included: ${hwm} MB), the child \`hakube worker\` runs with MALLOC_ARENA_MAX=2 (its launcher, a bare Node passing signals on: ${launcherMb} MB); load ${load()}`);
      growth.push({ hosts: 3 + workers, kind: 'lab', deploySeconds: round(wallS, 1), criticalPathSeconds: round(cpS, 1), overheadRatio: ratio, workerRssMbPeak: rss, workerVmHwmMb: hwm, workerLauncherRssMb: launcherMb, commands: cmds.length });
    } finally {
      worker.kill('SIGTERM');
      await new Promise((r) => (worker.exitCode !== null ? r(undefined) : worker.once('exit', r)));
    }
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const sizes = args.map(Number).filter((n) => Number.isInteger(n) && n > 0);
  const figures: Record<string, Figure> = {};
  const growth: GrowthRow[] = [];
  log(`load ${load()}`);
  const server = await startTestServer();
  try {
    // A part that fails is reported and fails the bench; what the others measured is kept.
    const part = (name: string, fn: () => Promise<void>) =>
      fn().catch((err: unknown) => {
        log(`${name} failed: ${(err as Error).stack ?? String(err)}`);
        process.exitCode = 1;
      });
    if (!args.includes('--no-fragment')) await part('fragment', () => fragmentBench(server, figures));
    if (!args.includes('--no-deploy')) for (const n of sizes.length ? sizes : [100]) await part(`deploy 3+${n}`, () => deployBench(server, n, figures, growth));
  } finally {
    await server.stop();
  }
  const missed = recordResults('bench/lab-scale', figures, growth);
  process.stdout.write(`${JSON.stringify({ bench: 'lab-scale', figures, growth }, null, 2)}\n`);
  if (missed.length) {
    log(`missed: ${missed.join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  log((err as Error).stack ?? String(err));
  process.exit(1);
});
