import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { CliError } from '../../src/cli/exit';
import { persistence } from '../../src/cli/server-postgres';
import { clientEnv, clusterConfig } from '../../src/temporal/cluster';
import { serverProcess, uiProcess } from '../../src/temporal/cluster/server';

const badInput = (fn: () => unknown, field: RegExp): void =>
  assert.throws(fn, (err: unknown) => err instanceof CliError && err.exitCode === 2 && field.test(err.message));

test('every port follows the frontend port unless given', () => {
  const cfg = clusterConfig({ home: '/tmp/h', port: 17233 }, {});
  assert.equal(cfg.uiPort, 18233);
  assert.equal(cfg.pgPort, 17432);
  assert.equal(clusterConfig({ home: '/tmp/h', port: 17233, pgPort: 6000 }, {}).pgPort, 6000);
  assert.equal(clusterConfig({}, { HAKUBE_HOME: '/tmp/x', HAKUBE_PG_PORT: '6001' }).pgPort, 6001);
  assert.equal(clusterConfig({}, { HAKUBE_HOME: '/tmp/x' }).tlsDir, path.join('/tmp/x', 'tls'));
});

test('bad flags are refused naming the flag (exit 2)', () => {
  badInput(() => clusterConfig({ port: 'x' }, {}), /--port/);
  badInput(() => clusterConfig({ pgPort: 70000 }, {}), /--pg-port/);
  badInput(() => clusterConfig({ port: 40000 }, {}), /--port 40000 .*membership/);
  badInput(() => clusterConfig({ ip: '127.0.0.1; rm -rf /' }, {}), /--ip/);
  badInput(() => clusterConfig({ uiCodecEndpoint: 'file:///etc/passwd' }, {}), /--ui-codec-endpoint/);
  badInput(() => persistence({ persistence: 'mysql' }, {}), /--persistence .*sqlite.*postgres/);
  assert.equal(persistence({}, {}), 'sqlite', 'no option stays the dev server');
  assert.equal(persistence({}, { HAKUBE_PERSISTENCE: 'postgres' }), 'postgres');
});

test('the database password reaches temporal-server in its environment, never its argv', () => {
  const cfg = clusterConfig({ home: '/tmp/hakube-unit-never-created', port: 17233 }, {});
  const p = serverProcess({ ...cfg, stateDir: path.join(__dirname, '..', 'fixtures', 'cluster-state') });
  assert.equal(p.env.POSTGRES_PWD, 'fixture-password');
  assert.ok(!p.args.join(' ').includes('fixture-password'));
  assert.equal(p.env.TLS_DIR, cfg.tlsDir, 'mTLS on the frontend');
  assert.equal(p.env.TEMPORAL_ADDRESS, undefined, 'a user\'s TEMPORAL_* variables stay out');
});

test('the Web UI gets the codec endpoint and the client certificate', () => {
  const cfg = clusterConfig({ home: '/tmp/h', port: 17233, uiCodecEndpoint: 'http://127.0.0.1:8888' }, {});
  const ui = uiProcess(cfg);
  assert.equal(ui.env.TEMPORAL_CODEC_ENDPOINT, 'http://127.0.0.1:8888');
  assert.equal(ui.env.TEMPORAL_TLS_CERT, path.join('/tmp/h', 'tls', 'client.pem'));
  assert.deepEqual(Object.keys(clientEnv(cfg)).sort(), [
    'TEMPORAL_ADDRESS',
    'TEMPORAL_TLS_CLIENT_CERT_PATH',
    'TEMPORAL_TLS_CLIENT_KEY_PATH',
    'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
    'TEMPORAL_TLS_SERVER_NAME',
  ]);
});
