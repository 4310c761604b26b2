import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderVerification, VERIFY_LINES_PER_KIND } from '../../src/client/summary';
import type { HealthCheck } from '../../src/workflows/defs';

const healthz = (host: string, ok = true): HealthCheck => ({ name: `${host}: apiserver healthz through 10.0.0.250:8443`, ok, detail: ok ? 'ok' : 'connection refused', stepId: `verify/${host}/healthz`, host });
const cluster: HealthCheck = { name: 'VIP failover', ok: true, detail: 'VIP moved m1 -> m2 in 3.1 s', stepId: 'verify/m1/vip-failover', host: 'm1' };

test('a small verification prints a line per check, as before', () => {
  const hosts = Array.from({ length: VERIFY_LINES_PER_KIND }, (_, i) => `w${i}`);
  const lines = renderVerification({ ok: true, checks: [...hosts.map((h) => healthz(h)), cluster] });
  assert.equal(lines.length, 1 + hosts.length + 1);
  assert.equal(lines[1], '  ok   w0: apiserver healthz through 10.0.0.250:8443: ok');
});

test('5,000 passed healthz checks print as one line; a failed one keeps its own', () => {
  const hosts = Array.from({ length: 5000 }, (_, i) => `w${i}`);
  const checks = [...hosts.map((h, i) => healthz(h, i !== 7)), cluster];
  const lines = renderVerification({ ok: false, checks });
  assert.deepEqual(lines, [
    'verification: FAILED',
    '  ok   apiserver healthz through 10.0.0.250:8443: ok (4,999 hosts)',
    '  FAIL w7: apiserver healthz through 10.0.0.250:8443: connection refused',
    '  ok   VIP failover: VIP moved m1 -> m2 in 3.1 s',
  ]);
});
