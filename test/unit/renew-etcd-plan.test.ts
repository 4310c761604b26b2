/**
 * The external etcd's renewal plan: the first member re-signs, members one at a time restart on
 * their renewed certificates behind quorum, before the control planes; and the re-signing script
 * really keeps each certificate's key, subject and SANs while moving its notAfter (real openssl).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSpec } from '../../src/spec/parse';
import { buildActionPlan } from '../../src/plan/actions';
import { renderEtcdCertScript } from '../../src/render/etcd';
import { renderEtcdResignScript } from '../../src/render/etcd-renew';

const load = (name: string, extra = '') => parseSpec(readFileSync(`examples/${name}.yaml`, 'utf8') + extra, name);
const SHORT = '  certificates:\n    validityPeriod: 50h\n';

test('external etcd: renew-etcd first (sign on k1, then k1, k2, k3 one at a time, each gated on quorum 2), then the control planes', () => {
  const plan = buildActionPlan(load('ha-local-proxy'), { action: 'renew-certs', renewBeforeSeconds: 7 * 86400, force: false });
  assert.deepEqual(plan.phases.map((p) => p.name), ['renew-etcd', 'renew-certs', 'verify']);
  const etcd = plan.phases[0];
  assert.deepEqual(etcd.hosts, ['k1', 'k2', 'k3']);
  assert.equal(etcd.concurrency, 1, 'one member at a time');
  assert.equal(etcd.run.kind, 'host');
  assert.deepEqual(etcd.steps.map((s) => s.id), ['renew-etcd/k1/sign', 'renew-etcd/k1/member', 'renew-etcd/k2/member', 'renew-etcd/k3/member']);

  const sign = etcd.steps[0];
  assert.deepEqual(sign.commands.map((c) => c.argv), [['sh', '/etc/hakube/bin/etcd-resign.sh', String(7 * 86400)]]);
  // Only public certificates travel to the signer; no key file is copied anywhere.
  const copiedIn = sign.files.filter((f) => f.from).map((f) => `${f.from!.host}:${f.from!.path} -> ${f.path}`);
  assert.deepEqual(copiedIn, [
    'k1:/etc/etcd/pki/server.crt -> /etc/etcd/pki/renew/in/k1/server.crt',
    'k1:/etc/etcd/pki/peer.crt -> /etc/etcd/pki/renew/in/k1/peer.crt',
    'k2:/etc/etcd/pki/server.crt -> /etc/etcd/pki/renew/in/k2/server.crt',
    'k2:/etc/etcd/pki/peer.crt -> /etc/etcd/pki/renew/in/k2/peer.crt',
    'k3:/etc/etcd/pki/server.crt -> /etc/etcd/pki/renew/in/k3/server.crt',
    'k3:/etc/etcd/pki/peer.crt -> /etc/etcd/pki/renew/in/k3/peer.crt',
    'k1:/etc/etcd/pki/apiserver-etcd-client.crt -> /etc/etcd/pki/renew/in/apiserver-etcd-client.crt',
  ]);
  for (const s of etcd.steps) for (const f of s.files) assert.ok(!/\.key$/.test(f.path) && !/\.key$/.test(f.from?.path ?? ''), `${s.id} moves no key: ${f.path}`);
  for (const s of etcd.steps) for (const c of [...s.commands, ...(s.check ? [s.check] : [])]) assert.ok(!c.argv.some((a) => a.includes('ca.key')), `${s.id}: the CA key is never in argv`);

  const k2 = etcd.steps[2];
  assert.deepEqual(k2.check?.argv, ['sh', '/etc/hakube/bin/etcd-renew-current.sh', 'k2', '172.16.10.22:2379', 'https://172.16.10.21:2379,https://172.16.10.22:2379,https://172.16.10.23:2379', '2']);
  assert.deepEqual(k2.commands[0].argv, ['sh', '/etc/hakube/bin/etcd-renew-member.sh', 'k2', '172.16.10.22:2379', 'https://172.16.10.21:2379,https://172.16.10.22:2379,https://172.16.10.23:2379', '2']);
  assert.deepEqual(
    k2.files.filter((f) => f.from).map((f) => `${f.from!.host}:${f.from!.path} -> ${f.path}`),
    [
      'k1:/etc/etcd/pki/renew/out/k2/server.crt -> /etc/etcd/pki/renewed/server.crt',
      'k1:/etc/etcd/pki/renew/out/k2/peer.crt -> /etc/etcd/pki/renewed/peer.crt',
      'k1:/etc/etcd/pki/renew/out/apiserver-etcd-client.crt -> /etc/etcd/pki/apiserver-etcd-client.crt',
    ],
  );
  // Each script is valid POSIX sh.
  for (const f of etcd.steps.flatMap((s) => s.files).filter((x) => x.path.endsWith('.sh'))) {
    const r = spawnSync('dash', ['-n'], { input: f.content });
    assert.equal(r.status, 0, `${f.path}: ${r.stderr}`);
  }
});

test('--force re-signs without the threshold; stacked etcd has no renew-etcd phase (kubeadm renews its members)', () => {
  const forced = buildActionPlan(load('ha-local-proxy'), { action: 'renew-certs', renewBeforeSeconds: 60, force: true });
  assert.deepEqual(forced.phases[0].steps[0].commands[0].argv.slice(-1), ['force']);
  assert.match(forced.phases[0].title, /--force/);
  const stacked = buildActionPlan(load('ha-vip'), { action: 'renew-certs', renewBeforeSeconds: 60, force: true });
  assert.ok(!stacked.phases.some((p) => p.name === 'renew-etcd'));
});

test('a control plane that is no etcd member takes only the renewed client certificate', () => {
  const src = readFileSync('examples/ha-local-proxy.yaml', 'utf8').replace('{ name: k3, address: 172.16.10.23, roles: [control-plane, etcd] }', '{ name: k3, address: 172.16.10.23, roles: [control-plane] }\n    - { name: e4, address: 172.16.10.26, roles: [etcd] }');
  const c = parseSpec(src, 'x');
  const etcd = buildActionPlan(c, { action: 'renew-certs', renewBeforeSeconds: 60, force: false }).phases[0];
  assert.deepEqual(etcd.hosts, ['k1', 'k2', 'e4', 'k3']);
  const e4 = etcd.steps.find((s) => s.id === 'renew-etcd/e4/member')!;
  assert.ok(!e4.files.some((f) => f.path.endsWith('apiserver-etcd-client.crt')), 'an etcd-only host needs no apiserver client certificate');
  const k3 = etcd.steps.find((s) => s.host === 'k3')!;
  assert.equal(k3.id, 'renew-etcd/k3/client-cert');
  assert.deepEqual(k3.files.map((f) => f.path), ['/etc/etcd/pki/apiserver-etcd-client.crt']);
});

const openssl = (...args: string[]) => spawnSync('openssl', args, { encoding: 'utf8' });
const endDate = (f: string) => Date.parse(openssl('x509', '-noout', '-enddate', '-in', f).stdout.trim().replace('notAfter=', ''));

test('the re-signing script keeps key, subject and SANs, signs with the CA for the spec lifetime, and keeps what is not due', () => {
  const c = load('ha-local-proxy', SHORT);
  const dir = mkdtempSync(join(tmpdir(), 'hakube-resign-'));
  try {
    const pki = join(dir, 'pki');
    // The deploy's PKI, made by the deploy's own script: its leaves already carry the spec's lifetime (50 h -> 3 days).
    assert.equal(spawnSync('sh', ['-c', renderEtcdCertScript(c)], { env: { ...process.env, ETCD_PKI_DIR: pki } }).status, 0);
    const leaf = join(pki, 'members/k2/server.crt');
    const deployed = endDate(leaf);
    assert.ok(Math.abs(deployed - Date.now() - 3 * 86400_000) < 120_000, `3 days: ${new Date(deployed).toISOString()}`);
    // The script on the first member, pointed at a copy of the layout (paths are the product's, so rewrite the root).
    const script = renderEtcdResignScript(c).split('/etc/etcd/pki').join(pki);
    for (const m of ['k1', 'k2', 'k3']) {
      mkdirSync(join(pki, 'renew/in', m), { recursive: true });
      for (const k of ['server', 'peer']) writeFileSync(join(pki, 'renew/in', m, `${k}.crt`), readFileSync(join(pki, 'members', m, `${k}.crt`)));
    }
    writeFileSync(join(pki, 'renew/in/apiserver-etcd-client.crt'), readFileSync(join(pki, 'apiserver-etcd-client.crt')));

    // Not due within 1 h: every certificate handed on unchanged.
    const kept = spawnSync('sh', ['-c', script, 'sh', '3600'], { encoding: 'utf8' });
    assert.equal(kept.status, 0, kept.stderr);
    assert.match(kept.stdout, /k2\/server\.crt: kept, expires/);
    assert.deepEqual(readFileSync(join(pki, 'renew/out/k2/server.crt')), readFileSync(leaf));

    // Due within 4 days: re-signed (a second later, so the notAfter moves).
    spawnSync('sleep', ['1']);
    const r = spawnSync('sh', ['-c', script, 'sh', String(4 * 86400)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /PRIVATE KEY/);
    const out = join(pki, 'renew/out/k2/server.crt');
    assert.ok(endDate(out) > deployed, 'notAfter moved forward');
    assert.equal(openssl('verify', '-CAfile', join(pki, 'ca.crt'), out).status, 0, 'signed by the etcd CA');
    assert.equal(openssl('x509', '-noout', '-pubkey', '-in', out).stdout, openssl('x509', '-noout', '-pubkey', '-in', leaf).stdout, 'same key');
    const text = (f: string) => openssl('x509', '-noout', '-subject', '-ext', 'subjectAltName,extendedKeyUsage', '-in', f).stdout;
    assert.equal(text(out), text(leaf), 'same subject, SANs and usages');
    assert.match(text(out), /DNS:k2, DNS:localhost, IP Address:172.16.10.22, IP Address:127.0.0.1/);
    const client = join(pki, 'renew/out/apiserver-etcd-client.crt');
    assert.equal(text(client), text(join(pki, 'apiserver-etcd-client.crt')));
    assert.ok(endDate(client) > endDate(join(pki, 'apiserver-etcd-client.crt')));
    // The key of the new certificate still pairs with the member's own private key.
    const pubOfKey = openssl('pkey', '-pubout', '-in', join(pki, 'members/k2/server.key')).stdout;
    assert.equal(openssl('x509', '-noout', '-pubkey', '-in', out).stdout, pubOfKey);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
