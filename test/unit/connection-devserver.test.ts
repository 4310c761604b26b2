import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { devServerArgs, devServerConfig } from '../../src/temporal/devserver';
import { CliError } from '../../src/cli/exit';

test('dev server defaults: loopback, 7233 and UI 8233, SQLite under HAKUBE_HOME', () => {
  const cfg = devServerConfig({}, { HAKUBE_HOME: '/var/tmp/hk' });
  assert.deepEqual([cfg.ip, cfg.port, cfg.uiPort, cfg.home], ['127.0.0.1', 7233, 8233, '/var/tmp/hk']);
  assert.ok(cfg.binary.endsWith(path.join('.tools', 'bin', 'temporal')));
  const args = devServerArgs(cfg).join(' ');
  for (const part of [
    'server start-dev',
    '--db-filename /var/tmp/hk/temporal.db',
    '--ip 127.0.0.1 --port 7233',
    '--ui-ip 127.0.0.1 --ui-port 8233',
    '--search-attribute HakubeCluster=Keyword',
    '--search-attribute HakubePhase=Keyword',
    '--dynamic-config-value frontend.enableServerVersionCheck=false',
    // Host phases schedule their next host's activity eagerly (issue #15: the workflow path's latency).
    '--dynamic-config-value system.enableActivityEagerExecution=true',
    '--log-level warn',
    '--ui-codec-endpoint http://127.0.0.1:8234',
  ]) {
    assert.ok(args.includes(part), `${part} in: ${args}`);
  }
});

test('flags win over environment; the UI port follows the port unless set', () => {
  const env = { HAKUBE_SERVER_PORT: '9000', HAKUBE_SERVER_IP: '127.0.0.2', HAKUBE_TEMPORAL_BIN: '/opt/temporal' };
  const fromEnv = devServerConfig({}, env);
  assert.deepEqual([fromEnv.ip, fromEnv.port, fromEnv.uiPort, fromEnv.binary], ['127.0.0.2', 9000, 10000, '/opt/temporal']);
  const fromFlags = devServerConfig({ port: '9100', uiPort: '9200', home: '/x' }, env);
  assert.deepEqual([fromFlags.port, fromFlags.uiPort, fromFlags.home], [9100, 9200, '/x']);
  assert.equal(fromFlags.codecPort, 9201, 'the codec server sits next to the UI');
  const withToken = devServerConfig({ codecPort: '9300' }, { HAKUBE_CODEC_TOKEN: 't/k' });
  assert.ok(devServerArgs(withToken).join(' ').includes('--ui-codec-endpoint http://127.0.0.1:9300/t%2Fk'), 'the token rides in the endpoint path');
});

test('a bad port is bad input', () => {
  assert.throws(() => devServerConfig({ port: '70000' }, {}), (e: unknown) => e instanceof CliError && e.exitCode === 2);
  assert.throws(() => devServerConfig({ uiPort: 'web' }, {}), /invalid UI port "web"/);
});
