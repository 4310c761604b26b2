import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Plan } from '../../src/plan/types';
import { applyFailure, applyResult, hostOf, initialProgress, markRunning, phaseOf, summaryFor } from '../../src/workflows/state';
import { diffEvents, renderBoard } from '../../src/client/render';

const plan: Plan = {
  cluster: 'c1',
  master0: 'm1',
  phases: [
    { name: 'prep', title: 'prepare', run: { kind: 'host', secrets: [] }, skipped: false, hosts: ['m1', 'm2'], concurrency: 10, steps: [
      { id: 'prep/m1/sysctl', phase: 'prep', host: 'm1', title: 'sysctl for kubernetes', files: [], commands: [{ argv: ['sysctl', '--system'] }] },
      { id: 'prep/m2/sysctl', phase: 'prep', host: 'm2', title: 'sysctl for kubernetes', files: [], commands: [{ argv: ['sysctl', '--system'] }] },
    ] },
    { name: 'etcd', title: 'etcd', run: { kind: 'host', secrets: [] }, skipped: true, reason: 'etcd is stacked: kubeadm runs it', hosts: [], concurrency: 1, steps: [] },
    { name: 'join-masters', title: 'join', run: { kind: 'child', child: 'joinMaster', secrets: ['joinToken'] }, skipped: false, hosts: ['m2'], concurrency: 1, steps: [
      { id: 'join-masters/m2/stage', phase: 'join-masters', host: 'm2', title: 'stage join config', files: [], commands: [{ argv: ['true'] }] },
      { id: 'join-masters/m2/join', phase: 'join-masters', host: 'm2', title: 'kubeadm join --control-plane', files: [], commands: [{ argv: ['kubeadm', 'join'], long: true }] },
      { id: 'join-masters/m2/kubeconfig', phase: 'join-masters', host: 'm2', title: 'copy admin.conf', files: [], commands: [{ argv: ['cp'] }] },
    ] },
  ],
};

test('progress starts with every planned step pending and skipped phases marked', () => {
  const p = initialProgress(plan);
  assert.equal(p.state, 'running');
  assert.equal(phaseOf(p, 'etcd').status, 'skipped');
  assert.deepEqual(hostOf(phaseOf(p, 'join-masters'), 'm2').steps.map((s) => s.status), ['pending', 'pending', 'pending']);
});

test('a failure marks earlier steps done and the failing step with its error, tail and attempts', () => {
  const p = initialProgress(plan);
  const h = hostOf(phaseOf(p, 'join-masters'), 'm2');
  markRunning(h, 'wf');
  applyFailure(h, 'CommandFailedError: kubeadm join exited 1', 3, { stepId: 'join-masters/m2/join', stepIndex: 1, tail: 'boom', attempt: 3 });
  assert.equal(h.status, 'failed');
  assert.deepEqual(h.steps.map((s) => s.status), ['done', 'failed', 'pending']);
  assert.equal(h.steps[1].attempts, 3);
  assert.equal(h.steps[1].tail, 'boom');
  // A retry clears the failed mark; the result then fills in every step.
  markRunning(h, 'wf2');
  assert.equal(h.steps[1].status, 'pending');
  applyResult(h, { host: 'm2', phase: 'join-masters', steps: [
    { id: 'join-masters/m2/stage', status: 'already', attempts: 0, tail: '' },
    { id: 'join-masters/m2/join', status: 'done', attempts: 4, tail: 'This node has joined the cluster' },
    { id: 'join-masters/m2/kubeconfig', status: 'done', attempts: 1, tail: '' },
  ] });
  assert.equal(h.status, 'done');
  assert.deepEqual(h.steps.map((s) => s.status), ['already', 'done', 'done']);
});

test('the Web UI summary names the long step as a runbook line', () => {
  assert.equal(summaryFor(plan, 'join-masters', 'm2'), 'join-masters m2: kubeadm join --control-plane');
  assert.equal(summaryFor(plan, 'prep', 'm1'), 'prep m1: sysctl for kubernetes');
});

test('plain output prints only what changed, and the operator hint when waiting', () => {
  const a = initialProgress(plan);
  const b = structuredClone(a);
  phaseOf(b, 'prep').status = 'done';
  for (const h of phaseOf(b, 'prep').hosts) h.status = 'done';
  const first = diffEvents(a, b);
  assert.deepEqual(first, ['[prep] m1: done (1 steps)', '[prep] m2: done (1 steps)', '[prep] done']);
  assert.deepEqual(diffEvents(b, structuredClone(b)), []);
  const c = structuredClone(b);
  c.state = 'waiting';
  c.waiting = { phase: 'join-masters', hosts: ['m2'], error: 'join failed', allowed: ['retry', 'abort'] };
  const lines = diffEvents(b, c).join('\n');
  assert.match(lines, /WAITING for the operator in join-masters \(m2\): join failed/);
  assert.match(lines, /hakube retry c1/);
  assert.doesNotMatch(lines, /hakube skip/);
  assert.match(renderBoard(c), /join-masters\s+pending\s+m2 ·/);
});
