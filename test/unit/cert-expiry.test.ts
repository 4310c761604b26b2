/**
 * The expiry parser on the real kubeadm v1.34.1's `certs check-expiration -o json`, captured on
 * the lab from a joined control plane of a cluster deployed with 2 h certificates
 * (test/fixtures/certs; `HAKUBE_UPDATE_FIXTURES=1` with test/e2e/certs-lab.test.ts recaptures it),
 * plus the openssl reader's lines, the threshold and the table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dueRows, expiringRows, formatResidual, parseKubeadmExpiration, parseOpensslLines, parseThreshold, renderCertTable } from '../../src/certs/expiry';

const real = readFileSync('test/fixtures/certs/check-expiration-stacked.json', 'utf8');

test('real kubeadm output: every certificate with its CA, the CAs apart, a missing one marked', () => {
  const rows = parseKubeadmExpiration(real, 'm2');
  const byName = new Map(rows.map((r) => [r.certificate, r]));
  assert.equal(byName.get('apiserver')?.ca, 'ca');
  assert.equal(byName.get('etcd-peer')?.ca, 'etcd-ca');
  assert.equal(byName.get('front-proxy-client')?.ca, 'front-proxy-ca');
  assert.equal(byName.get('apiserver')?.kind, 'kubeadm');
  // A joined control plane has no super-admin.conf (kubeadm writes it on init only).
  assert.equal(byName.get('super-admin.conf')?.missing, true);
  assert.equal(byName.get('super-admin.conf')?.expires, undefined);
  // 2 h certificates, read a little after the deploy; 10-year CAs.
  const apiserver = byName.get('apiserver')!;
  assert.ok(apiserver.residualSeconds > 3600 && apiserver.residualSeconds <= 7200, String(apiserver.residualSeconds));
  assert.match(apiserver.expires ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(rows.filter((r) => r.kind === 'ca').map((r) => r.certificate), ['ca', 'etcd-ca', 'front-proxy-ca']);
  assert.ok(byName.get('ca')!.residualSeconds > 9 * 365 * 86400);
  for (const r of rows) assert.equal(r.externallyManaged, false, r.certificate);
});

test('threshold: due are the present non-CA certificates inside it; a CA inside it makes check exit 3 but is not renewed', () => {
  const rows = parseKubeadmExpiration(real, 'm2');
  assert.equal(dueRows(rows, 3 * 3600).length, rows.filter((r) => r.kind === 'kubeadm' && !r.missing).length);
  assert.equal(dueRows(rows, 600).length, 0);
  assert.equal(expiringRows(rows, 11 * 365 * 86400).length, rows.filter((r) => !r.missing).length);
  assert.equal(dueRows(rows, 11 * 365 * 86400).some((r) => r.kind === 'ca'), false);
});

test('not kubeadm JSON is refused naming the host and what came back', () => {
  assert.throws(() => parseKubeadmExpiration('error: open /etc/kubernetes/admin.conf: no such file', 'm9'), /on m9 did not answer JSON: error: open/);
  assert.throws(() => parseKubeadmExpiration('{"kind":"Status"}', 'm9'), /kind Status/);
});

test('openssl lines: dates as openssl prints them, residual from the given clock, missing files kept', () => {
  const now = Date.parse('2026-12-02T03:00:00Z');
  const rows = parseOpensslLines('cert\tkubelet-client\tDec  2 04:00:00 2026 GMT\nmissing\tkubelet-serving\n\n', 'w1', 'kubelet', () => 'ca', now);
  assert.deepEqual(rows[0], { certificate: 'kubelet-client', host: 'w1', kind: 'kubelet', expires: '2026-12-02T04:00:00Z', residualSeconds: 3600, ca: 'ca', externallyManaged: false, missing: false });
  assert.equal(rows[1].missing, true);
  assert.throws(() => parseOpensslLines('cert\tx\tnot a date', 'w1', 'etcd', () => '', now), /cannot read the expiry of x/);
});

test('durations for flags: d, h, m and combinations; anything else names the flag and the fix', () => {
  assert.equal(parseThreshold('30d', '--renew-before'), 30 * 86400);
  assert.equal(parseThreshold('1d12h', '--renew-before'), 36 * 3600);
  assert.throws(() => parseThreshold('30 days', '--renew-before'), /--renew-before "30 days" is not a duration; write e\.g\. 30d/);
  assert.throws(() => parseThreshold('0d', '--max-age'), /--max-age "0d" is zero/);
  assert.equal(formatResidual(-5), 'expired');
  assert.equal(formatResidual(7168), '1h');
  assert.equal(formatResidual(400 * 86400), '400d');
});

test('the table: one header, the columns the issue names, rows inside the threshold marked', () => {
  const rows = parseKubeadmExpiration(real, 'm2');
  const text = renderCertTable({ rows, errors: ['w9: connection refused'], readAt: 0 }, 3 * 3600);
  const lines = text.split('\n');
  assert.match(lines[0], /^CERTIFICATE\s+HOST\s+EXPIRES\s+RESIDUAL\s+CA\s+EXTERNALLY MANAGED$/);
  assert.match(text, /\napiserver\s+m2\s+\S+Z\s+1h\s+ca\s+no\s+<- within threshold/);
  assert.match(text, /\nca\s+m2\s+\S+\s+3649d\s+\(CA\)\s+no$/m);
  assert.match(text, /\nsuper-admin\.conf\s+m2\s+missing/);
  assert.equal(lines.at(-1), 'error: w9: connection refused');
});
