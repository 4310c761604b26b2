/**
 * One deploy of an example on the lab with a list of (phase, fault) injections, on a real
 * Temporal dev server (its own SQLite file, so it can be stopped and started again) and `hakube
 * worker` processes (so one can be SIGKILLed and another started). It steers the run as an
 * operator would (`hakube retry` after a fault is cleared), records each injection's outcome and
 * the phase's seconds, and then checks from the hosts' own command logs and state that nothing
 * was done twice or broken: the matrix (scripts/fault-matrix.ts) and its subset in `npm test`
 * (test/e2e/deploy-lab-faults.test.ts) both run exactly this.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { createDataConverter } from '../../src/temporal/data-converter';
import { devServerArgs, devServerConfig, answers } from '../../src/temporal/devserver';
import { startDeploy } from '../../src/client/deploy';
import { progressQuery, type Progress, type DeployResult } from '../../src/workflows/defs';
import { buildPlan } from '../../src/plan/build';
import type { Plan, PhaseName } from '../../src/plan/types';
import { controlPlanes, master0, nodes } from '../../src/spec/topology';
import { KEEPALIVED_MANIFEST, STATE_DIR } from '../../src/render/paths';
import { cmdline, netnsPids } from '../../lab/proc';
import { commandLog, commandLogEntries, count, dropKubeconfig, hakubeRaw, labFromExample, ROOT, type ExampleLab } from '../e2e/deploy-support';
import { freePort } from '../helpers/browser';
import { TEMPORAL_BIN } from '../helpers/temporal';
import { FAULTS, TARGETS, type Example, type Fault, type Injection, type Target } from './targets';
import { judgeFired } from './evidence';

/** Every step's timeout is capped here, so a hang costs under a minute (kubeadm's own budget is minutes). */
export const STEP_TIMEOUT_MAX_SECONDS = 45;
const CUT_SECONDS = 20;
const RUN_TIMEOUT_MS = 30 * 60_000;

export interface CellResult {
  example: Example;
  phase: PhaseName;
  fault: Fault;
  /** auto | retry | compensated, retry | n/a: ... | FAILED: ... */
  outcome: string;
  seconds?: number;
  note?: string;
  /** What shows the fault fired in this phase: the host's log line, or the harness's own act. */
  fired?: string;
}

export interface FaultRun {
  example: Example;
  cells: CellResult[];
  /** Whole run: lab up to verified and checked. */
  seconds: number;
  deploySeconds: number;
  state: string;
  /** Invariants the hosts' own records broke (empty: all held). */
  violations: string[];
  /** Which invariants were checked, in words. */
  checked: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const clock = () => new Date().toISOString().slice(11, 19);
const log = (msg: string) => process.stderr.write(`[faults ${clock()}] ${msg}\n`);

/** A dev server process of our own: stoppable and restartable on the same database file. */
class DevServer {
  private child?: ChildProcess;
  readonly cfg;
  constructor(home: string, port: number, uiPort: number, codecPort: number) {
    this.cfg = devServerConfig({ home, port, uiPort, codecPort, logLevel: 'error' });
  }
  get address(): string {
    return `${this.cfg.ip}:${this.cfg.port}`;
  }
  async start(): Promise<void> {
    mkdirSync(this.cfg.home, { recursive: true, mode: 0o700 });
    this.child = spawn(TEMPORAL_BIN, devServerArgs(this.cfg), { stdio: 'ignore' });
    for (let i = 0; !(await answers(this.address)); i++) {
      if (i > 120) throw new Error(`dev server at ${this.address} did not answer`);
      await sleep(500);
    }
  }
  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await Promise.race([gone, sleep(15_000).then(() => c.kill('SIGKILL'))]);
    await gone;
  }
}

class Workers {
  private readonly all: ChildProcess[] = [];
  current?: ChildProcess;
  constructor(private readonly env: NodeJS.ProcessEnv) {}
  async start(): Promise<void> {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/hakube.js'), 'worker'], { env: this.env, cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    this.all.push(child);
    this.current = child;
    await new Promise<void>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`worker did not start: ${err}`)), 120_000);
      child.stderr!.on('data', (d: Buffer) => {
        err = (err + d.toString()).slice(-4000);
        if (err.includes('polling task queue')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`worker exited ${code}: ${err}`));
      });
    });
  }
  async kill(): Promise<void> {
    const c = this.current;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
  }
  alive(): boolean {
    const c = this.current;
    return !!c && c.exitCode === null && c.signalCode === null;
  }
  async stopAll(): Promise<void> {
    for (const c of this.all) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const matches = (t: Target) => new RegExp(`^${escape(t.match.join(' '))}( |$)`);

/** Samples each host's processes: two copies of one long kubeadm command at once is a violation. */
function concurrencySampler(ex: ExampleLab, violations: string[]): () => void {
  const hosts = ex.lab.state().hosts;
  const seen = new Set<string>();
  const timer = setInterval(() => {
    for (const h of hosts) {
      const pids = netnsPids(h.netns);
      const keyOf = (pid: number): string | undefined => {
        const argv = cmdline(pid);
        const bin = path.basename(argv[0] ?? '').replace(/\.real$/, '');
        if (bin !== 'kubeadm' || !['init', 'join', 'reset'].includes(argv[1] ?? '')) return undefined;
        return [bin, ...argv.slice(1).filter((a) => a !== '--skip-phases=preflight')].join(' ');
      };
      const counts = new Map<string, number>();
      for (const pid of pids) {
        const key = keyOf(pid);
        if (!key) continue;
        // The lab's kubeadm entry point runs the real one as its child: one copy, not two.
        let ppid = 0;
        try {
          ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
        } catch {
          continue;
        }
        if (keyOf(ppid) === key) continue;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      for (const [key, n] of counts) {
        const v = `${h.name}: ${n} copies of "${key}" ran at the same time`;
        if (n > 1 && !seen.has(v)) {
          seen.add(v);
          violations.push(v);
        }
      }
    }
  }, 1000);
  return () => clearInterval(timer);
}

async function sh(ex: ExampleLab, host: string, script: string): Promise<string> {
  const r = await ex.lab.exec(host, ['sh', '-c', script], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`${host}: ${script.slice(0, 80)}: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** The invariants, each from the hosts' own records; returns what it checked. */
async function checkHosts(ex: ExampleLab, plan: Plan, violations: string[]): Promise<string[]> {
  const spec = ex.spec;
  const m0 = master0(spec).name;
  const checked: string[] = [];
  const m0log = await commandLog(ex.lab, m0);
  const inits = count(m0log, /^kubeadm init (?!phase)/);
  if (inits !== 1) violations.push(`kubeadm init ran ${inits} times on master0 ${m0}`);
  checked.push('kubeadm init ran exactly once on master0 (its command log)');
  const resets = count(m0log, /^kubeadm reset/);
  if (resets !== 0) violations.push(`master0 ${m0} was reset ${resets} time(s)`);
  checked.push('master0 never reset (its command log)');

  const K = 'kubectl --kubeconfig /etc/kubernetes/admin.conf';
  const nodeNames = (await sh(ex, m0, `${K} get nodes -o jsonpath='{range .items[*]}{.metadata.name}{"\\n"}{end}'`)).split('\n').filter(Boolean);
  const want = nodes(spec).map((h) => h.name).sort();
  if (new Set(nodeNames).size !== nodeNames.length || [...nodeNames].sort().join() !== want.join()) violations.push(`Nodes ${nodeNames.join(',')} (want each of ${want.join(',')} once)`);
  checked.push('every Node exactly once (the apiserver)');

  const stacked = spec.spec.etcd.topology === 'stacked';
  const etcdHosts = stacked ? controlPlanes(spec) : spec.spec.hosts.filter((h) => h.roles.includes('etcd'));
  const certs = stacked
    ? '--cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/healthcheck-client.crt --key /etc/kubernetes/pki/etcd/healthcheck-client.key'
    : '--cacert /etc/etcd/pki/ca.crt --cert /etc/etcd/pki/apiserver-etcd-client.crt --key /etc/etcd/pki/apiserver-etcd-client.key';
  const etcdAt = stacked ? m0 : etcdHosts[0].name;
  const endpoint = stacked ? 'https://127.0.0.1:2379' : `https://${etcdHosts[0].address}:2379`;
  const members = (await sh(ex, etcdAt, `ETCDCTL_API=3 etcdctl --endpoints ${endpoint} ${certs} member list`)).split('\n').filter(Boolean);
  const names = members.map((l) => l.split(', ')[2]);
  const peers = members.map((l) => l.split(', ')[3]);
  if (members.length !== etcdHosts.length || new Set(names).size !== names.length || new Set(peers).size !== peers.length || !members.every((l) => l.includes(', started, '))) {
    violations.push(`etcd members (want ${etcdHosts.length}, each once, started):\n${members.join('\n')}`);
  }
  checked.push('no etcd member added twice: one started member per etcd host (etcdctl member list)');

  // Ids and descriptions only: a token's secret half never leaves the host.
  const tokens = (await sh(ex, m0, `${K} -n kube-system get secrets --field-selector type=bootstrap.kubernetes.io/token -o jsonpath='{range .items[*]}{.data.token-id} {.data.description}{"\\n"}{end}'`))
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => l.split(' ').map((w) => Buffer.from(w, 'base64').toString('utf8')).join(': '));
  if (tokens.length) violations.push(`bootstrap tokens left after the run: ${tokens.join('; ')}`);
  checked.push("no bootstrap token left: the run's were deleted (the apiserver's token Secrets)");

  // Every file the plan wrote holds what the plan says (a cut upload must never be installed).
  const files = new Map<string, Map<string, string>>();
  for (const phase of plan.phases) {
    if (phase.skipped) continue;
    for (const step of phase.steps) {
      for (const f of step.files) {
        if (f.runtime || f.from || f.transient) continue;
        const m = files.get(step.host) ?? new Map<string, string>();
        m.set(f.path, createHash('sha256').update(f.content).digest('hex'));
        files.set(step.host, m);
      }
    }
  }
  let n = 0;
  for (const [host, want] of files) {
    const paths = [...want.keys()];
    const out = await ex.lab.exec(host, ['sha256sum', '--', ...paths], { timeoutMs: 60_000 });
    const have = new Map(out.stdout.split('\n').filter(Boolean).map((l) => [l.slice(66), l.slice(0, 64)] as const));
    for (const [p, sum] of want) {
      n++;
      if (have.get(p) !== sum) violations.push(`${host}:${p} ${have.has(p) ? 'differs from the plan (truncated?)' : 'is missing'}`);
    }
  }
  checked.push(`no file truncated: ${n} planned files on the hosts have the plan's sha256`);

  if (spec.spec.loadBalancer.type === 'vip') {
    for (const h of controlPlanes(spec)) {
      const r = await ex.lab.exec(h.name, ['test', '-f', KEEPALIVED_MANIFEST]);
      if (r.code !== 0) violations.push(`${h.name}: keepalived's manifest is not in place after the run`);
    }
    checked.push("keepalived's manifest in place on every control plane (the VIP drill put it back)");
  }
  return checked;
}

export interface RunOptions {
  prefix?: string;
}

/** Deploys `example` with the injections and checks the result; never throws for a cell's outcome. */
export async function runFaultDeploy(example: Example, injections: Injection[], opts: RunOptions = {}): Promise<FaultRun> {
  const t0 = Date.now();
  const home = mkdtempSync(path.join(tmpdir(), 'hakube-faults-'));
  const env: NodeJS.ProcessEnv = { ...process.env, HAKUBE_CODEC_KEY: randomBytes(32).toString('base64'), HAKUBE_HOME: home, HAKUBE_STEP_TIMEOUT_MAX_SECONDS: String(STEP_TIMEOUT_MAX_SECONDS) };
  const server = new DevServer(path.join(home, 'server'), await freePort(), await freePort(), await freePort());
  env.TEMPORAL_ADDRESS = server.address;
  env.TEMPORAL_NAMESPACE = 'default';
  const workers = new Workers(env);
  const violations: string[] = [];
  let ex: ExampleLab | undefined;
  let connection: Connection | undefined;
  let stopSampler = () => undefined as void;
  try {
    await server.start();
    ex = await labFromExample(example, opts.prefix ?? `f${example === 'ha-vip' ? 'v' : 'p'}`);
    const lab = ex.lab;
    const spec = ex.spec;
    const plan = buildPlan(spec);
    const cells: CellResult[] = [];
    const active: Array<Injection & { target: Target; cell: CellResult; fired: boolean; firedNote?: string; cleared: boolean }> = [];
    for (const inj of injections) {
      const cell: CellResult = { example, phase: inj.phase, fault: inj.fault, outcome: 'auto' };
      cells.push(cell);
      const p = plan.phases.find((x) => x.name === inj.phase);
      const target = TARGETS[example][inj.phase];
      if (!p || p.skipped || !target) {
        cell.outcome = `n/a: ${p?.reason ?? 'no such phase'}`;
        continue;
      }
      active.push({ ...inj, target, cell, fired: false, cleared: false });
    }
    // Command faults go in before the run, so each target's command must run in its own phase
    // only (targets.ts); the log check after the run fails a cell whose fault fired elsewhere.
    for (const a of active) {
      const { host, match, exitCode } = a.target;
      const words = match.join(' ');
      const code = exitCode ? ['--exit-code', String(exitCode)] : [];
      if (a.fault === 'fail-once') await lab.fault(host, 'command', words, '--fail', '--times', '1', ...code);
      if (a.fault === 'fail-always') await lab.fault(host, 'command', words, '--fail', ...code);
      const anchored = a.fault === 'worker-kill' || a.fault === 'ssh-cut';
      if (a.fault === 'hang' || (anchored && a.target.killAnchor === 'hang')) await lab.fault(host, 'command', words, '--hang', '--times', '1');
    }
    // Runs of each worker-kill target before the deploy: the kill waits for one more.
    const runsAtStart = new Map<Injection, number>();
    for (const a of active) if ((a.fault === 'worker-kill' || a.fault === 'ssh-cut') && a.target.killAnchor === 'run') runsAtStart.set(a, count(await commandLog(lab, a.target.host), matches(a.target)));
    await workers.start();
    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: 'default', dataConverter: createDataConverter(env) });
    stopSampler = concurrencySampler(ex, violations);
    const tDeploy = Date.now();
    const handle: WorkflowHandle = await startDeploy(client, spec, { hostAttempts: 3, retryInterval: '1s', heartbeatTimeout: '15s' });
    const retries = new Map<PhaseName, number>();
    let progress: Progress | undefined;
    for (;;) {
      if (Date.now() - tDeploy > RUN_TIMEOUT_MS) throw new Error(`the run did not end within ${RUN_TIMEOUT_MS / 60000} min: ${JSON.stringify(progress?.waiting ?? progress?.phase)}`);
      // A dead worker cannot answer queries: a new one is started by the worker-kill fault only.
      progress = await handle.query(progressQuery).catch(() => progress);
      if (!progress) {
        await sleep(500);
        continue;
      }
      if (progress.state === 'done' || progress.state === 'failed' || progress.state === 'aborted') break;
      for (const a of active.filter((x) => !x.fired && x.phase === progress!.phase && progress!.state === 'running')) {
        if (a.fault === 'server-restart') {
          a.fired = true;
          a.firedNote = `the harness stopped the dev server at ${clock()} while ${a.phase} ran`;
          log(`${example} ${a.phase}: stopping the dev server`);
          await server.stop();
          await sleep(3000);
          await server.start();
          log(`${example} ${a.phase}: dev server back on the same database`);
        } else if (a.fault === 'ssh-cut' || a.fault === 'worker-kill') {
          const anchor = a.target.killAnchor;
          let mid = false;
          if (anchor === 'hang') mid = (await commandLog(lab, a.target.host, 'hang')).some((l) => matches(a.target).test(l));
          if (anchor === 'run') mid = count(await commandLog(lab, a.target.host), matches(a.target)) > (runsAtStart.get(a) ?? 0);
          if (anchor === 'drill') mid = (await lab.exec(a.target.host, ['test', '-e', `${STATE_DIR}/keepalived.yaml.drill`])).code === 0;
          if (!mid) continue;
          a.fired = true;
          a.firedNote = `the harness ${a.fault === 'worker-kill' ? 'killed the worker' : `cut ${a.target.host}'s link`} at ${clock()} while ${a.phase} ran (${anchor})`;
          if (anchor === 'run') await sleep(2000);
          if (a.fault === 'worker-kill') {
            log(`${example} ${a.phase}: SIGKILL the worker mid-step (${anchor}), starting a new one`);
            await workers.kill();
            await workers.start();
          } else {
            log(`${example} ${a.phase}: ${a.target.host} link down for ${CUT_SECONDS} s mid-step (${anchor})`);
            await lab.fault(a.target.host, 'link-down');
            await sleep(CUT_SECONDS * 1000);
            await lab.fault(a.target.host, 'link-up');
          }
        }
      }
      if (progress.state === 'waiting' && progress.waiting) {
        const w = progress.waiting;
        const n = (retries.get(w.phase) ?? 0) + 1;
        retries.set(w.phase, n);
        const mine = active.filter((a) => a.phase === w.phase);
        for (const a of mine) {
          if (!a.cleared) await lab.fault(a.target.host, 'command', a.target.match.join(' '), '--clear');
          a.cleared = true;
          const compensated = progress.phases.find((ph) => ph.name === w.phase)?.hosts.some((h) => h.status === 'compensated');
          a.cell.outcome = n > 1 ? `FAILED: waited ${n} times` : compensated ? 'compensated, retry' : 'retry';
          if (a.fault !== 'fail-always') a.cell.note = `waited: ${w.error.slice(0, 160)}`;
        }
        if (mine.length === 0) violations.push(`waited in ${w.phase}, where nothing was injected: ${w.error.slice(0, 200)}`);
        if (n > 3) throw new Error(`${w.phase} waits again after ${n - 1} retries: ${w.error}`);
        log(`${example} ${w.phase}: waiting (${w.error.slice(0, 120)}); hakube retry`);
        const r = await hakubeRaw(['retry', spec.metadata.name], env, 120_000);
        if (r.code !== 0) throw new Error(`hakube retry: exit ${r.code}: ${r.stderr}`);
        continue;
      }
      if (!workers.alive()) await workers.start();
      await sleep(500);
    }
    const deploySeconds = (Date.now() - tDeploy) / 1000;
    stopSampler();
    let result: DeployResult | undefined;
    try {
      result = (await handle.result()) as DeployResult;
    } catch (err) {
      violations.push(`the run ended ${progress.state}: ${(err as Error).message}`);
    }
    if (progress.error) violations.push(`the run reports: ${progress.error}`);
    if (result && !result.verification?.ok) violations.push(`verification did not pass: ${JSON.stringify(result.verification)}`);
    for (const a of active) {
      const ph = progress.phases.find((x) => x.name === a.phase);
      if (ph?.startedAt && ph.endedAt) a.cell.seconds = Math.round((ph.endedAt - ph.startedAt) / 1000);
      if (a.fault !== 'fail-once' && a.fault !== 'fail-always' && a.fault !== 'hang' && !a.fired) a.cell.outcome = `FAILED: the fault never fired (${a.target.killAnchor})`;
      if (a.fault === 'fail-always' && !a.cleared) a.cell.outcome = 'FAILED: never waited for the operator';
      // From the host's own log: the injected failure or hang, or the run a kill waited for,
      // and that every injected failure or hang of this target fell in this phase.
      const entries = (await commandLogEntries(lab, a.target.host)).filter((e) => matches(a.target).test(e.line));
      const anchored = a.fault === 'worker-kill' || a.fault === 'ssh-cut';
      const mark = a.fault === 'fail-once' || a.fault === 'fail-always' ? 'fail' : a.fault === 'hang' || (anchored && a.target.killAnchor === 'hang') ? 'hang' : anchored && a.target.killAnchor === 'run' ? 'run' : undefined;
      if (mark) {
        const marks = entries.filter((e) => e.action === mark);
        const first = mark === 'run' ? marks[runsAtStart.get(a) ?? 0] : marks[0];
        const judged = judgeFired(a.target.host, a.phase, progress.phases, first, mark === 'run' ? undefined : marks);
        if (!judged) a.cell.outcome = `FAILED: the command never ${mark === 'fail' ? 'failed' : mark === 'hang' ? 'hung' : 'ran'} (${a.target.host}: ${a.target.match.join(' ')})`;
        else if (judged.wrongPhase) a.cell.outcome = `FAILED: ${judged.wrongPhase}`;
        else a.cell.fired = [judged.evidence, a.firedNote].filter(Boolean).join('; ');
      } else if (a.firedNote) {
        a.cell.fired = a.firedNote;
      }
      // A cell with nothing to show for its fault asserted nothing: it must never pass.
      if (!a.cell.fired && !a.cell.outcome.startsWith('FAILED')) a.cell.outcome = 'FAILED: no record that the fault fired in its phase';
      if (!result || result.state !== 'done') a.cell.outcome = `FAILED: run ${progress.state}`;
    }
    const checked = await checkHosts(ex, plan, violations);
    return { example, cells, seconds: (Date.now() - t0) / 1000, deploySeconds, state: progress.state, violations, checked };
  } finally {
    stopSampler();
    await workers.stopAll();
    await connection?.close().catch(() => undefined);
    dropKubeconfig(ex?.spec.metadata.name);
    await ex?.lab.down().catch(() => undefined);
    await server.stop().catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  }
}

/** The matrix as a Markdown table: phases down, faults across, outcome and seconds per cell. */
export function renderMatrix(runs: FaultRun[], header: string): string {
  const lines = [header, ''];
  for (const example of [...new Set(runs.map((r) => r.example))]) {
    const cells = runs.filter((r) => r.example === example).flatMap((r) => r.cells);
    lines.push(`### ${example}`, '', `| phase | ${FAULTS.join(' | ')} |`, `|---|${FAULTS.map(() => '---').join('|')}|`);
    for (const phase of [...new Set(cells.map((c) => c.phase))]) {
      const row = FAULTS.map((f) => {
        const c = cells.find((x) => x.phase === phase && x.fault === f);
        if (!c) return ' ';
        return `${c.outcome}${c.seconds !== undefined ? ` (${c.seconds} s)` : ''}`;
      });
      lines.push(`| ${phase} | ${row.join(' | ')} |`);
    }
    lines.push('');
    for (const r of runs.filter((x) => x.example === example)) {
      const faults = [...new Set(r.cells.map((c) => c.fault))].join(', ');
      lines.push(`- deploy with ${faults}: ${r.state}, ${Math.round(r.deploySeconds)} s deploy / ${Math.round(r.seconds)} s with lab; invariants: ${r.violations.length ? `**${r.violations.length} broken**: ${r.violations.join('; ')}` : 'all held'}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
