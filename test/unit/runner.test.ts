/**
 * The generic runner with stub phases and stub effects: no Temporal, no hosts, milliseconds.
 * What it must do for any action: phases in order, each by its declared kind, bounded
 * concurrency, credentials before each serial host, the health gate before the next host,
 * redo after an undo, skip only where declared, abort from a wait, and credential refresh by age.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Plan, PlannedPhase, PhaseRun, RuntimeValueName } from '../../src/plan/types';
import type { RuntimeSecrets } from '../../src/activities/types';
import type { HealthReport, WaitingFor } from '../../src/workflows/defs';
import {
  AbortRequested,
  CERT_KEY_MAX_AGE_MS,
  CredentialsUnavailable,
  credentialsToRefresh,
  runPlan,
  TOKEN_MAX_AGE_MS,
  type ChildOutcome,
  type RunnerEffects,
} from '../../src/workflows/runner';
import { buildPlan } from '../../src/plan/build';
import { loadSpec } from '../../src/spec/load';

const phase = (name: PlannedPhase['name'], hosts: string[], run: PhaseRun, extra: Partial<PlannedPhase> = {}): PlannedPhase => ({
  name,
  title: name,
  run,
  skipped: false,
  hosts,
  concurrency: 1,
  steps: [],
  ...extra,
});

type Answer = 'retry' | 'abort' | { skip: string[] };

class Stub implements RunnerEffects {
  calls: string[] = [];
  waits: WaitingFor[] = [];
  answers: Answer[] = [];
  failHost = new Map<string, number>();
  failGate = new Map<string, number>();
  failCluster = 0;
  failThen = 0;
  inFlight = 0;
  maxInFlight = 0;
  skippedHosts = new Set<string>();
  aborting = false;
  failCreds = 0;
  /** Host whose start makes the operator's abort arrive (while the run is not waiting). */
  abortWhenStarting?: string;

  private failing(map: Map<string, number>, key: string): boolean {
    const left = map.get(key) ?? 0;
    if (left > 0) map.set(key, left - 1);
    return left > 0;
  }

  async runHost(p: PlannedPhase, host: string): Promise<boolean> {
    if (host === this.abortWhenStarting) this.aborting = true;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setImmediate(r));
    this.inFlight--;
    this.calls.push(`host ${p.name}/${host}`);
    return !this.failing(this.failHost, `${p.name}/${host}`);
  }
  async runChild(p: PlannedPhase, host: string, attempt: number, runtime: RuntimeSecrets): Promise<ChildOutcome> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setImmediate(r));
    this.inFlight--;
    this.calls.push(`child ${p.name}/${host}#${attempt} [${Object.keys(runtime).sort().join(',')}]`);
    if (this.failing(this.failHost, `${p.name}/${host}`)) return { ok: false, error: 'injected', undone: !!p.run.undo, health: { ok: true, checks: [] } };
    return { ok: true };
  }
  async runCluster(p: PlannedPhase): Promise<HealthReport> {
    this.calls.push(`cluster ${p.name}`);
    return this.failCluster-- > 0 ? { ok: false, checks: [{ name: 'nodes', ok: false, detail: '2/3 Ready' }] } : { ok: true, checks: [] };
  }
  async runThen(p: PlannedPhase): Promise<void> {
    this.calls.push(`then ${p.name}`);
    if (this.failThen-- > 0) throw new Error('no admin.conf yet');
  }
  async credentials(secrets: RuntimeValueName[]): Promise<RuntimeSecrets> {
    this.calls.push(`creds [${[...secrets].sort().join(',')}]`);
    if (this.failCreds-- > 0) throw new CredentialsUnavailable('ActivityFailure: kubeadm token create: connection refused');
    return Object.fromEntries(secrets.map((s) => [s, { secret: s }])) as unknown as RuntimeSecrets;
  }
  async gate(p: PlannedPhase, host: string): Promise<HealthReport> {
    this.calls.push(`gate ${host}`);
    return this.failing(this.failGate, host) ? { ok: false, checks: [{ name: 'etcd quorum (apiserver /readyz)', ok: false, detail: 'etcd: not ready' }] } : { ok: true, checks: [] };
  }
  async waitForOperator(w: WaitingFor): Promise<void> {
    this.waits.push(w);
    this.calls.push(`wait ${w.phase} ${w.hosts.join(',')}`);
    const a = this.answers.shift();
    if (a === undefined) throw new Error(`unexpected wait: ${w.error}`);
    if (a === 'abort') {
      this.aborting = true;
      throw new AbortRequested();
    }
    if (typeof a === 'object') for (const h of a.skip) this.skippedHosts.add(h);
  }
  abortRequested = () => this.aborting;
  skipped = () => this.skippedHosts;
  lastError = () => 'injected';
  concurrency = (p: PlannedPhase) => p.concurrency;
  enterPhase = (p: PlannedPhase) => void this.calls.push(`enter ${p.name}`);
  phaseDone = (p: PlannedPhase) => void this.calls.push(`done ${p.name}`);
  patched = () => true;
}

const HOST: PhaseRun = { kind: 'host', secrets: [] };
const MASTERS: PhaseRun = { kind: 'child', child: 'joinMaster', secrets: ['joinToken', 'caCertHash', 'certificateKey'], undo: 'compensateMaster', gate: 'control-plane', redoAfterUndo: 'lb' };
const WORKERS: PhaseRun = { kind: 'child', child: 'joinWorker', secrets: ['joinToken', 'caCertHash'], undo: 'compensateWorker', skippable: true };

const plan = (...phases: PlannedPhase[]): Plan => ({ cluster: 'c', master0: 'm1', phases });

test('phases run in order by their kind; skipped phases do not run; host concurrency is bounded', async () => {
  const fx = new Stub();
  const hosts = ['a', 'b', 'c', 'd', 'e'];
  await runPlan(
    plan(
      phase('prep', hosts, HOST, { concurrency: 2 }),
      phase('etcd', [], HOST, { skipped: true, reason: 'stacked' }),
      phase('init', ['a'], { ...HOST, then: 'fetchKubeconfig' }),
      phase('verify', ['a'], { kind: 'cluster', secrets: [] }),
    ),
    fx,
  );
  assert.equal(fx.maxInFlight, 2);
  assert.deepEqual(
    fx.calls.filter((c) => !c.startsWith('host prep')),
    ['enter prep', 'done prep', 'enter init', 'host init/a', 'then init', 'done init', 'enter verify', 'cluster verify', 'done verify'],
  );
  assert.equal(fx.calls.filter((c) => c.startsWith('host prep')).length, 5);
});

test('serial children: fresh credentials before each host, and the next host starts only after the gate passed', async () => {
  const fx = new Stub();
  fx.failGate.set('m2', 1);
  fx.answers.push('retry');
  await runPlan(plan(phase('lb', ['m1', 'm2', 'm3'], HOST, { concurrency: 3 }), phase('join-masters', ['m2', 'm3'], MASTERS)), fx);
  const jm = fx.calls.slice(fx.calls.indexOf('enter join-masters') + 1);
  assert.deepEqual(jm, [
    'creds [caCertHash,certificateKey,joinToken]',
    'child join-masters/m2#1 [caCertHash,certificateKey,joinToken]',
    'gate m2',
    'wait join-masters m2',
    'creds [caCertHash,certificateKey,joinToken]',
    'child join-masters/m2#2 [caCertHash,certificateKey,joinToken]',
    'gate m2',
    'creds [caCertHash,certificateKey,joinToken]',
    'child join-masters/m3#1 [caCertHash,certificateKey,joinToken]',
    'gate m3',
    'done join-masters',
  ]);
  assert.match(fx.waits[0].error, /health gate after m2: etcd quorum/);
  assert.deepEqual(fx.waits[0].allowed, ['retry', 'abort']);
});

test('a failed child that was undone re-runs the redo phase before its retry; the waiting carries its health', async () => {
  const fx = new Stub();
  fx.failHost.set('join-masters/m3', 1);
  fx.answers.push('retry');
  await runPlan(plan(phase('lb', ['m1', 'm2', 'm3'], HOST, { concurrency: 3 }), phase('join-masters', ['m2', 'm3'], MASTERS)), fx);
  const after = fx.calls.slice(fx.calls.indexOf('wait join-masters m3') + 1);
  assert.deepEqual(after.slice(0, 4).map((c) => c.replace(/ \[.*\]$/, '')), ['host lb/m1', 'host lb/m2', 'host lb/m3', 'creds']);
  assert.equal(after[4], 'child join-masters/m3#2 [caCertHash,certificateKey,joinToken]');
  assert.deepEqual(fx.waits[0].health, { ok: true, checks: [] });
});

test('parallel children run in rounds with one credential call; skip is offered only where declared', async () => {
  const fx = new Stub();
  fx.failHost.set('join-workers/w2', Infinity);
  fx.answers.push({ skip: ['w2'] });
  await runPlan(plan(phase('join-workers', ['w1', 'w2', 'w3'], WORKERS, { concurrency: 3 })), fx);
  assert.equal(fx.maxInFlight, 3);
  assert.deepEqual(fx.waits.map((w) => [w.hosts, w.allowed]), [[['w2'], ['retry', 'skip', 'abort']]]);
  assert.equal(fx.calls.filter((c) => c.startsWith('creds')).length, 1, 'nothing left to run after the skip');
  // Least privilege is declared by the phase: workers ask for no certificate key.
  assert.ok(fx.calls.every((c) => !c.startsWith('child join-workers') || !c.includes('certificateKey')));
  assert.ok(!fx.calls.includes('gate w1'), 'workers have no gate');
});

test('abort from a wait ends the run with AbortRequested; no later phase starts', async () => {
  const fx = new Stub();
  fx.failHost.set('prep/b', Infinity);
  fx.answers.push('retry', 'abort');
  await assert.rejects(runPlan(plan(phase('prep', ['a', 'b'], HOST, { concurrency: 2 }), phase('init', ['a'], HOST)), fx), AbortRequested);
  assert.deepEqual(fx.waits.map((w) => w.hosts), [['b'], ['b']]);
  assert.ok(!fx.calls.includes('enter init'));
});

test('credentials master0 cannot make park the run for the operator; retry asks again, then the join runs', async () => {
  const fx = new Stub();
  fx.failCreds = 1;
  fx.answers.push('retry');
  await runPlan(plan(phase('join-masters', ['m2'], MASTERS)), fx);
  assert.deepEqual(fx.calls.slice(1, 5).map((c) => c.replace(/ \[.*\]$/, '')), ['creds', 'wait join-masters ', 'creds', 'child join-masters/m2#1']);
  assert.match(fx.waits[0].error, /join credentials from master0: .*connection refused/);
  assert.deepEqual(fx.waits[0].allowed, ['retry', 'abort']);
});

test('an abort while hosts run: the pool starts no new host, the running one finishes, no wait, no later phase', async () => {
  const fx = new Stub();
  fx.abortWhenStarting = 'b';
  await assert.rejects(runPlan(plan(phase('prep', ['a', 'b', 'c', 'd'], HOST, { concurrency: 1 }), phase('init', ['a'], HOST)), fx), AbortRequested);
  assert.deepEqual(fx.calls.filter((c) => c.startsWith('host')), ['host prep/a', 'host prep/b']);
  assert.equal(fx.waits.length, 0);
  assert.ok(!fx.calls.includes('enter init'));
});

test('an abort while workers join: no further worker starts', async () => {
  const fx = new Stub();
  const run = fx.runChild.bind(fx);
  fx.runChild = async (p, host, attempt, runtime) => {
    if (host === 'w2') fx.aborting = true;
    return run(p, host, attempt, runtime);
  };
  await assert.rejects(runPlan(plan(phase('join-workers', ['w1', 'w2', 'w3', 'w4'], WORKERS, { concurrency: 2 })), fx), AbortRequested);
  assert.deepEqual(fx.calls.filter((c) => c.startsWith('child')).map((c) => c.replace(/#.*$/, '')), ['child join-workers/w1', 'child join-workers/w2']);
});

test('a cluster phase and a then-step are asked again after retry until they pass', async () => {
  const fx = new Stub();
  fx.failCluster = 1;
  fx.failThen = 1;
  fx.answers.push('retry', 'retry');
  await runPlan(plan(phase('init', ['a'], { ...HOST, then: 'fetchKubeconfig' }), phase('verify', ['a'], { kind: 'cluster', secrets: [] })), fx);
  assert.deepEqual(fx.calls.filter((c) => /^(then|cluster|wait)/.test(c)), ['then init', 'wait init ', 'then init', 'cluster verify', 'wait verify ', 'cluster verify']);
  assert.match(fx.waits[1].error, /nodes: 2\/3 Ready/);
});

test('credential refresh by age: certificate key past 110 min, token past 23 h; workers never trigger an upload', () => {
  const master: RuntimeValueName[] = ['joinToken', 'caCertHash', 'certificateKey'];
  const worker: RuntimeValueName[] = ['joinToken', 'caCertHash'];
  const t0 = 1_000_000;
  assert.deepEqual(credentialsToRefresh(master, {}, t0), { call: true, newToken: true, uploadCerts: true });
  const fresh = { tokenAt: t0, certKeyAt: t0 };
  // Always asked for a master (master0 re-uploads lost certs), but nothing new while young.
  assert.deepEqual(credentialsToRefresh(master, fresh, t0 + CERT_KEY_MAX_AGE_MS), { call: true, newToken: false, uploadCerts: false });
  assert.deepEqual(credentialsToRefresh(master, fresh, t0 + CERT_KEY_MAX_AGE_MS + 1), { call: true, newToken: false, uploadCerts: true });
  assert.deepEqual(credentialsToRefresh(worker, fresh, t0 + TOKEN_MAX_AGE_MS), { call: false, newToken: false, uploadCerts: false });
  assert.deepEqual(credentialsToRefresh(worker, fresh, t0 + TOKEN_MAX_AGE_MS + 1), { call: true, newToken: true, uploadCerts: false });
  assert.deepEqual(credentialsToRefresh(worker, {}, t0), { call: true, newToken: true, uploadCerts: false });
  assert.deepEqual(credentialsToRefresh([], {}, t0), { call: false, newToken: false, uploadCerts: false });
});

test('the deploy plan declares each phase: kinds, least-privilege secrets, undo, gate', () => {
  const p = buildPlan(loadSpec('examples/ha-vip.yaml'));
  const run = (n: string) => p.phases.find((x) => x.name === n)!.run;
  assert.deepEqual(p.phases.map((x) => `${x.name}:${x.run.kind}`), ['prep:host', 'etcd:host', 'lb:host', 'init:host', 'join-masters:child', 'join-workers:child', 'verify:cluster', 'cleanup:host']);
  assert.deepEqual(run('join-workers').secrets, ['joinToken', 'caCertHash']);
  assert.ok(run('join-masters').secrets.includes('certificateKey'));
  assert.equal(run('join-masters').gate, 'control-plane');
  assert.equal(run('join-masters').undo, 'compensateMaster');
  assert.equal(run('join-workers').skippable, true);
  for (const x of p.phases.filter((y) => y.run.kind === 'host')) assert.deepEqual(x.run.secrets, [], `${x.name} needs no secret`);
});
