/**
 * The activities' gate (src/activities/admit.ts): a spec that did not come from a file is held
 * to the same rules, and the worker reads SSH files only from directories it allows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import { admit, allowedSshDirs, workerPathProblems } from '../../src/activities/admit';
import { planOf } from '../../src/activities/plan-cache';
import { targetFor } from '../../src/activities/targets';
import { loadSpec } from '../../src/spec/load';
import type { Cluster } from '../../src/spec/types';

const vip = loadSpec('examples/ha-vip.yaml');

function specInvalid(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, String(err));
    assert.equal(err.type, 'SpecInvalid');
    assert.equal(err.nonRetryable, true);
    return err.message;
  }
  assert.fail('accepted');
}

test('a valid spec passes unchanged; planning and dialling both go through the gate', () => {
  assert.equal(admit(vip), vip);
  assert.equal(planOf(vip).cluster, 'ha-vip');
  assert.equal(targetFor(vip, 'm2').address, '10.30.12.204');
});

test('a spec that breaks a field rule or a cross-field rule is SpecInvalid, naming the field', () => {
  const bad = structuredClone(vip) as Cluster;
  bad.spec.etcd.dataDir = '/var/lib/etcd; rm -rf /';
  assert.match(specInvalid(() => planOf(bad)), /spec\.etcd\.dataDir/);
  assert.match(specInvalid(() => targetFor(bad, 'm1')), /spec\.etcd\.dataDir/);
  const vipOff = structuredClone(vip) as Cluster;
  vipOff.spec.loadBalancer.vip = '10.99.0.1';
  assert.match(specInvalid(() => targetFor(vipOff, 'm1')), /spec\.loadBalancer\.vip/);
  const extra = { ...structuredClone(vip), spec: { ...structuredClone(vip).spec, injected: true } };
  assert.match(specInvalid(() => targetFor(extra as unknown as Cluster, 'm1')), /spec\.injected/);
});

test('SSH files outside the allowed directories are refused, symlinks resolved', () => {
  const root = mkdtempSync(join(tmpdir(), 'hakube-admit-'));
  const allowed = join(root, 'keys');
  mkdirSync(allowed);
  writeFileSync(join(allowed, 'id'), 'key');
  writeFileSync(join(root, 'secret'), 'x');
  symlinkSync(join(root, 'secret'), join(allowed, 'escape'));
  const withKey = (p: string) => ({ ...vip, spec: { ...vip.spec, ssh: { ...vip.spec.ssh, privateKeyPath: p, knownHostsPath: join(allowed, 'known_hosts') } } }) as Cluster;
  assert.deepEqual(workerPathProblems(withKey(join(allowed, 'id')), [allowed]), []);
  assert.match(workerPathProblems(withKey('/etc/shadow'), [allowed])[0], /^spec\.ssh\.privateKeyPath: "\/etc\/shadow" is outside/);
  assert.match(workerPathProblems(withKey(join(allowed, 'escape')), [allowed])[0], /privateKeyPath/);
  assert.deepEqual(allowedSshDirs({ HAKUBE_SSH_DIRS: `${allowed}:/nonexistent` }), [allowed, '/nonexistent']);
  // The gate applies the worker's own directories (cwd and ~/.ssh by default).
  assert.match(specInvalid(() => targetFor(withKey('/etc/shadow'), 'm1')), /privateKeyPath/);
});

test('a host key pinned in the spec reaches the SSH target, for hosts and the bastion', () => {
  const fp = 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8';
  const s = structuredClone(vip) as Cluster;
  s.spec.hosts[1].hostKeyFingerprint = fp;
  s.spec.ssh.bastion = { address: 'jump.example.com', port: 22, hostKeyFingerprint: fp };
  assert.equal(targetFor(s, 'm2').hostKeyFingerprint, fp);
  assert.equal(targetFor(s, 'm1').hostKeyFingerprint, undefined);
  assert.equal(targetFor(s, 'm1').bastion?.hostKeyFingerprint, fp);
});

test('the real activities, called without the workflow, refuse a bad spec before dialling anyone', async () => {
  const acts = createActivities();
  const bad = structuredClone(vip) as Cluster;
  bad.spec.etcd.dataDir = '/etc';
  const isSpecInvalid = (err: unknown) => err instanceof ApplicationFailure && err.type === 'SpecInvalid' && /dataDir/.test(err.message) && err.nonRetryable === true;
  const env = () => new MockActivityEnvironment();
  await assert.rejects(env().run(acts.compensateMaster, { spec: bad, host: 'm2' }), isSpecInvalid);
  await assert.rejects(env().run(acts.fetchKubeconfig, { spec: bad }), isSpecInvalid);
  await assert.rejects(env().run(acts.runHostPhase, { spec: bad, phase: 'prep' as const, host: 'm1' }), isSpecInvalid);
  await assert.rejects(env().run(acts.ensureJoinCredentials, { spec: bad, newToken: true, uploadCerts: false }), isSpecInvalid);
});
