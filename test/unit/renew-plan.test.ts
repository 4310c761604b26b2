/** The renewal action's plan: control planes one at a time behind the gate, then verify; its scripts parse. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { parseSpec } from '../../src/spec/parse';
import { buildActionPlan } from '../../src/plan/actions';

const load = (name: string) => parseSpec(readFileSync(`examples/${name}.yaml`, 'utf8'), name);

test('stacked: m1, m2, m3 one at a time as renewMaster children with the control-plane gate, then verify', () => {
  const plan = buildActionPlan(load('ha-vip'), { action: 'renew-certs', renewBeforeSeconds: 30 * 86400, force: false });
  assert.deepEqual(plan.phases.map((p) => p.name), ['renew-certs', 'verify']);
  const renew = plan.phases[0];
  assert.deepEqual(renew.hosts, ['m1', 'm2', 'm3']);
  assert.equal(renew.concurrency, 1);
  assert.equal(renew.run.child, 'renewMaster');
  assert.equal(renew.run.gate, 'control-plane');
  assert.equal(renew.run.then, 'fetchKubeconfig');
  assert.equal(renew.run.undo, undefined, 'a renewal has nothing to undo');
  const m2 = renew.steps.filter((s) => s.host === 'm2');
  assert.deepEqual(m2.map((s) => s.id), ['renew-certs/m2/renew', 'renew-certs/m2/restart', 'renew-certs/m2/health']);
  assert.deepEqual(m2[0].check?.argv, ['sh', '/etc/hakube/bin/cert-renew-due.sh', String(30 * 86400)]);
  assert.deepEqual(m2[0].commands.map((c) => c.argv), [['kubeadm', 'certs', 'renew', 'all']]);
  // etcd first (the apiserver reads through its local member), then the apiserver, then the rest.
  assert.deepEqual(m2[1].commands[0].argv.slice(-4), ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']);
  assert.ok(m2[1].commands[0].argv.includes('10.30.12.204:2379'));
  assert.ok(m2[2].commands[0].argv.includes('2'), 'quorum of 3 members');
});

test('external etcd: no etcd static pod to restart; --force renews without asking whether it is due', () => {
  const plan = buildActionPlan(load('ha-local-proxy'), { action: 'renew-certs', renewBeforeSeconds: 3600, force: true });
  const k2 = plan.phases.find((p) => p.name === 'renew-certs')!.steps.filter((s) => s.host === 'k2');
  assert.equal(k2[0].check, undefined);
  assert.deepEqual(k2[1].commands[0].argv.slice(-3), ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']);
  assert.equal(k2[1].commands[0].argv[4], '', 'no local etcd socket to read');
});

test('every renewal script is valid POSIX sh (dash -n)', () => {
  const plan = buildActionPlan(load('ha-vip'), { action: 'renew-certs', renewBeforeSeconds: 60, force: false });
  const scripts = new Map(plan.phases[0].steps.flatMap((s) => s.files).map((f) => [f.path, f.content]));
  assert.equal(scripts.size, 4);
  for (const [path, content] of scripts) {
    const r = spawnSync('dash', ['-n'], { input: content });
    assert.equal(r.status, 0, `${path}: ${r.stderr}`);
  }
});
