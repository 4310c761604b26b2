import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Plan, PlannedPhase, PhaseName } from '../../src/plan/types';
import type { HealthCheck, Progress } from '../../src/workflows/defs';
import { COMPACT_ABOVE_HOSTS, compactProgress, progressAnswer } from '../../src/workflows/compact';
import { applyFailure, applyResult, hostOf, initialProgress, markRunning, phaseOf } from '../../src/workflows/state';
import { expandProgress, summarizedDone, withHostDetail } from '../../src/client/progress';
import { renderBoard } from '../../src/client/render';
import { renderHost, renderWide } from '../../src/client/detail';

const masters = ['m1', 'm2', 'm3'];
const workers = Array.from({ length: 5000 }, (_, i) => `worker-${String(i + 1).padStart(4, '0')}`);
const all = [...masters, ...workers];

function phase(name: PhaseName, hosts: string[], steps: string[]): PlannedPhase {
  return {
    name,
    title: name,
    run: { kind: 'host', secrets: [] },
    skipped: false,
    hosts,
    concurrency: 200,
    steps: hosts.flatMap((host) => steps.map((slug) => ({ id: `${name}/${host}/${slug}`, phase: name, host, title: `${slug.replace(/-/g, ' ')} on this host`, files: [], commands: [{ argv: ['true'] }] }))),
  };
}

const PREP = ['swap-off', 'kernel-modules', 'sysctl', 'containerd', 'kubelet-packages', 'hold-packages', 'kubelet-enable', 'images'];
const plan: Plan = {
  cluster: 'big',
  master0: 'm1',
  phases: [
    phase('prep', all, PREP),
    phase('init', ['m1'], ['kubeadm-init', 'kubeconfig']),
    phase('join-masters', ['m2', 'm3'], ['stage', 'join', 'kubeconfig']),
    phase('join-workers', workers, ['stage', 'join']),
    phase('verify', all, ['node-ready', 'kubelet-active']),
  ],
};

/** A 5,003-host run mid-join-workers, as a grouped run records it (no tails for grouped hosts). */
function bigRun(): Progress {
  const p = initialProgress(plan);
  let t = 1_764_680_000_000;
  for (const name of ['prep', 'init', 'join-masters'] as const) {
    const ph = phaseOf(p, name);
    ph.status = 'done';
    ph.startedAt = t;
    for (const h of ph.hosts) {
      markRunning(h, `hakube/big/deploy/${name}/group-${Math.floor(all.indexOf(h.host) / 200)}`, (t += 7));
      // Small phases run in the parent and keep their tails; grouped ones hand back none.
      const tail = ph.hosts.length > 200 ? '' : 'ok';
      applyResult(h, { host: h.host, phase: name, steps: h.steps.map((s, i) => ({ id: s.id, status: i % 3 === 0 ? 'already' : 'done', attempts: i % 3 === 0 ? 0 : 1, tail })) }, (t += 900));
    }
    ph.endedAt = t;
  }
  const jw = phaseOf(p, 'join-workers');
  jw.status = 'running';
  jw.startedAt = t;
  jw.hosts.slice(0, 3000).forEach((h, i) => {
    // Each worker joins in a child of its own: one workflow id per host.
    markRunning(h, `hakube/big/deploy/join-worker/${h.host}/1`, (t += 3));
    if (i < 2990) applyResult(h, { host: h.host, phase: 'join-workers', steps: h.steps.map((s) => ({ id: s.id, status: 'done', attempts: 1, tail: '' })) }, (t += 500));
  });
  applyFailure(hostOf(jw, 'worker-0100'), 'CommandFailedError: kubeadm join exited 1', 3, { stepId: 'join-workers/worker-0100/join', stepIndex: 1, tail: 'error execution phase kubelet-start', attempt: 3 }, t);
  return p;
}

const json = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** The full record as the compact form covers it: quiet hosts without their output tails. */
function withoutQuietTails(p: Progress, wire: ReturnType<typeof compactProgress>): Progress {
  const out = json(p);
  out.phases.forEach((ph, i) => {
    const full = new Set(wire.phases[i].compact?.full ?? []);
    ph.hosts.forEach((h, pos) => {
      if (!full.has(pos)) for (const s of h.steps) delete s.tail;
    });
  });
  return out;
}

test('the progress of a 5,003-host run answers in under 1 MB', () => {
  const p = bigRun();
  const full = Buffer.byteLength(JSON.stringify(p));
  const bytes = Buffer.byteLength(JSON.stringify(compactProgress(p)));
  assert.ok(bytes < 1_000_000, `compact progress is ${bytes} bytes`);
  // The full form is what the query sent before: it is many times larger.
  assert.ok(full > 5 * bytes, `full ${full} vs compact ${bytes}`);
});

test('the client expands the compact progress back into the full record of the hosts it covers', () => {
  const p = bigRun();
  const wire = json(compactProgress(p));
  const expanded = expandProgress(wire);
  assert.deepEqual(json(expanded), withoutQuietTails(p, compactProgress(p)));
  // Running, failed and pending-after-start hosts keep their full record, tails included.
  const failed = hostOf(phaseOf(expanded, 'join-workers'), 'worker-0100');
  assert.equal(failed.status, 'failed');
  assert.equal(failed.steps[1].tail, 'error execution phase kubelet-start');
  assert.equal(hostOf(phaseOf(expanded, 'join-workers'), 'worker-2995').status, 'running');
});

test('status renders the same board, wide list and host detail from the compact form', () => {
  const p = bigRun();
  const expanded = expandProgress(json(compactProgress(p)));
  const now = 1_764_690_000_000;
  assert.equal(renderBoard(expanded), renderBoard(json(p)));
  assert.deepEqual(renderWide(expanded, now), renderWide(json(p), now));
  // A quiet host's tails come from the host query, folded in by the client.
  const host = 'm2';
  const detail = { host, phases: json(p).phases.flatMap((ph) => ph.hosts.filter((h) => h.host === host).map((h) => ({ phase: ph.name, progress: h }))) };
  assert.deepEqual(renderHost(withHostDetail(expanded, detail), host, now), renderHost(json(p), host, now));
});

test('a small run with tails on every host expands to the same record, quiet tails aside', () => {
  const small: Plan = { cluster: 's', master0: 'm1', phases: [phase('prep', ['m1', 'w1'], ['sysctl'])] };
  const p = initialProgress(small);
  const h = hostOf(phaseOf(p, 'prep'), 'w1');
  markRunning(h, 'wf', 10);
  applyResult(h, { host: 'w1', phase: 'prep', steps: [{ id: 'prep/w1/sysctl', status: 'done', attempts: 1, tail: 'applied' }] }, 20);
  const wire = compactProgress(p);
  assert.equal(wire.phases[0].hosts.length, 0, 'a pending and a quiet done host travel grouped');
  assert.deepEqual(json(expandProgress(json(wire))), withoutQuietTails(p, wire));
  // Answers without compaction (older workers, renewCerts) pass through.
  assert.deepEqual(expandProgress(json(p)), json(p));
});

test('the query answers the full record up to COMPACT_ABOVE_HOSTS hosts and the compact form above', () => {
  const big = bigRun();
  assert.ok('hostNames' in progressAnswer(big), 'a 5,003-host run answers compact');
  const names = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`);
  const at = initialProgress({ cluster: 's', master0: 'w0', phases: [phase('prep', names(COMPACT_ABOVE_HOSTS), ['sysctl'])] });
  assert.equal(progressAnswer(at), at, 'at the threshold every host keeps its record and tails');
  const over = initialProgress({ cluster: 's', master0: 'w0', phases: [phase('prep', names(COMPACT_ABOVE_HOSTS + 1), ['sysctl'])] });
  assert.ok('hostNames' in progressAnswer(over));
});

test('logs asks the host query only for the done hosts a compact answer summarized', () => {
  const p = bigRun();
  // Running on the join of the last 10 started workers: their prep too is still to come.
  for (const h of phaseOf(p, 'prep').hosts.slice(-5)) h.status = 'pending';
  const wire = json(compactProgress(p));
  const asked = new Set(summarizedDone(wire));
  const expanded = expandProgress(wire);
  // Exactly the hosts that are done somewhere with their tails left out of the answer.
  const tailless = new Set(expanded.phases.flatMap((ph) => ph.hosts.filter((h) => h.status === 'done' && h.steps.every((st) => st.tail === undefined)).map((h) => h.host)));
  assert.deepEqual([...asked].sort(), [...tailless].sort());
  assert.ok(asked.has('m2') && asked.has('worker-0001'));
  assert.ok(!asked.has(workers[workers.length - 1]), 'a host done nowhere has no tails to fetch');
  // A full answer (a run of up to COMPACT_ABOVE_HOSTS hosts) carries every tail: nothing to ask.
  assert.deepEqual(summarizedDone(json(p)), []);
});

test("a 5,003-node verification travels as groups of passed checks and expands to the report, their output aside", () => {
  const p = bigRun();
  const checks: HealthCheck[] = [
    { name: 'm1: every node Ready (5003)', ok: true, detail: '5003/5003 nodes Ready', output: 'node/m1 condition met', stepId: 'verify/m1/nodes-ready', host: 'm1' },
    ...all.map((host, i) => ({ name: `${host}: apiserver healthz through 10.0.0.250:8443`, ok: i !== 42, detail: i === 42 ? 'connection refused' : 'ok', output: `ok from ${host}`, stepId: `verify/${host}/healthz`, host })),
    { name: 'VIP failover', ok: true, detail: 'VIP moved m1 -> m2 in 3.1 s', stepId: 'verify/m1/vip-failover', host: 'm1' },
  ];
  p.verification = { ok: false, checks };
  const before = Buffer.byteLength(JSON.stringify(p.verification));
  const wire = json(compactProgress(p));
  const after = Buffer.byteLength(JSON.stringify(wire.verification));
  assert.ok(after * 10 < before, `verification: ${before} B in full, ${after} B compact`);
  assert.ok(Buffer.byteLength(JSON.stringify(wire)) < 1_000_000);
  const back = expandProgress(wire).verification!;
  // Passed checks of a host's verify step lose their output (the verify phase's steps keep it).
  const quietOutputGone: HealthCheck[] = checks.map((c) => (c.ok && c.name.startsWith(`${c.host}: `) ? (({ output: _o, ...rest }) => rest)(c) : c));
  assert.deepEqual(back, { ok: false, checks: quietOutputGone });
  // The failed check and the one not named for its host keep everything.
  assert.equal(back.checks[43].output, `ok from ${all[42]}`);
  assert.equal(back.checks[43].detail, 'connection refused');
  assert.equal(back.checks[back.checks.length - 1].detail, 'VIP moved m1 -> m2 in 3.1 s');
});

test("workers whose join titles differ only by their place ('worker 17 of 5000') share one group", () => {
  const p = bigRun();
  const jw = phaseOf(p, 'join-workers');
  jw.hosts.forEach((h, i) => (h.steps[1].title = `kubeadm join (worker ${i + 1} of ${jw.hosts.length}, up to 100 at a time)`));
  const wire = json(compactProgress(p));
  const groups = wire.phases.find((ph) => ph.name === 'join-workers')!.compact!.groups;
  assert.ok(groups.length < 10, `${groups.length} groups`);
  assert.deepEqual(json(expandProgress(wire)), withoutQuietTails(p, compactProgress(p)));
  assert.equal(hostOf(phaseOf(expandProgress(wire), 'join-workers'), 'worker-0017').steps[1].title, 'kubeadm join (worker 17 of 5000, up to 100 at a time)');
  assert.ok(Buffer.byteLength(JSON.stringify(wire)) < 1_000_000);
});
