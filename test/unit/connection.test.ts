import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { addConnectionOptions, resolveConnection } from '../../src/temporal/connection';
import { CliError } from '../../src/cli/exit';

// An empty config-file location so the machine's ~/.config/temporalio does not leak in.
const NO_FILE = { TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml' };

test('defaults to the local dev server and namespace default', () => {
  const r = resolveConnection({}, NO_FILE);
  assert.equal(r.address, '127.0.0.1:7233');
  assert.equal(r.namespace, 'default');
  assert.equal(r.connectionOptions.tls, undefined);
  assert.equal(r.connectionOptions.apiKey, undefined);
});

test('without TEMPORAL_ADDRESS, a dev server moved by HAKUBE_SERVER_PORT is where clients go', () => {
  assert.equal(resolveConnection({}, { ...NO_FILE, HAKUBE_SERVER_PORT: '17233' }).address, '127.0.0.1:17233');
  assert.equal(resolveConnection({}, { ...NO_FILE, HAKUBE_SERVER_PORT: '17233', TEMPORAL_ADDRESS: 'h:1' }).address, 'h:1');
});

test('environment follows the SDK envconfig names; flags win over it', () => {
  const env = { ...NO_FILE, TEMPORAL_ADDRESS: 'temporal.example:7233', TEMPORAL_NAMESPACE: 'prod', TEMPORAL_API_KEY: 'k1' };
  const fromEnv = resolveConnection({}, env);
  assert.equal(fromEnv.address, 'temporal.example:7233');
  assert.equal(fromEnv.namespace, 'prod');
  assert.equal(fromEnv.connectionOptions.apiKey, 'k1');
  assert.equal(fromEnv.connectionOptions.tls, true, 'an API key turns TLS on, as the SDK does');
  const fromFlags = resolveConnection({ address: '10.0.0.1:7233', namespace: 'dev', apiKey: 'k2' }, env);
  assert.deepEqual([fromFlags.address, fromFlags.namespace, fromFlags.connectionOptions.apiKey], ['10.0.0.1:7233', 'dev', 'k2']);
});

test('a profile from the config file is used, selected by TEMPORAL_PROFILE', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakube-conn-'));
  try {
    const file = path.join(dir, 'temporal.toml');
    fs.writeFileSync(file, '[profile.default]\naddress = "a:1"\n[profile.cloud]\naddress = "cloud.example:7233"\nnamespace = "ns.acct"\n');
    assert.equal(resolveConnection({}, { TEMPORAL_CONFIG_FILE: file }).address, 'a:1');
    const cloud = resolveConnection({}, { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' });
    assert.deepEqual([cloud.address, cloud.namespace], ['cloud.example:7233', 'ns.acct']);
    assert.equal(resolveConnection({ profile: 'cloud', namespace: 'x' }, { TEMPORAL_CONFIG_FILE: file }).namespace, 'x');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('TLS client certificate, key and CA are read from files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakube-tls-'));
  try {
    for (const f of ['c.pem', 'k.pem', 'ca.pem']) fs.writeFileSync(path.join(dir, f), `-----${f}-----\n`);
    const r = resolveConnection(
      { tlsCert: path.join(dir, 'c.pem'), tlsKey: path.join(dir, 'k.pem'), tlsCa: path.join(dir, 'ca.pem'), tlsServerName: 'srv' },
      NO_FILE,
    );
    const tls = r.connectionOptions.tls as { clientCertPair: { crt: Uint8Array; key: Uint8Array }; serverRootCACertificate: Uint8Array; serverNameOverride: string };
    const text = (b: Uint8Array): string => Buffer.from(b).toString();
    assert.equal(text(tls.clientCertPair.crt), '-----c.pem-----\n');
    assert.equal(text(tls.clientCertPair.key), '-----k.pem-----\n');
    assert.equal(text(tls.serverRootCACertificate), '-----ca.pem-----\n');
    assert.equal(tls.serverNameOverride, 'srv');
    const viaEnv = resolveConnection({}, { ...NO_FILE, TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'ca.pem') });
    assert.equal(text((viaEnv.connectionOptions.tls as { serverRootCACertificate: Uint8Array }).serverRootCACertificate), '-----ca.pem-----\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input becomes a one-line CliError with exit code 2', () => {
  const cases: Array<[Parameters<typeof resolveConnection>[0], RegExp]> = [
    [{ address: 'no-port' }, /invalid Temporal address "no-port"/],
    [{ address: 'host:99999' }, /invalid Temporal address/],
    [{ tlsCert: '/x.pem' }, /both a client certificate and its key/],
    [{ tlsCa: '/nonexistent/ca.pem' }, /cannot read TLS file/],
  ];
  for (const [flags, message] of cases) {
    assert.throws(() => resolveConnection(flags, NO_FILE), (err: unknown) => {
      assert.ok(err instanceof CliError);
      assert.match(err.message, message);
      assert.ok(!err.message.includes('\n'));
      assert.equal(err.exitCode, 2);
      return true;
    });
  }
});

test('addConnectionOptions gives a command the connection flags', () => {
  const cmd = addConnectionOptions(new Command('x').exitOverride());
  cmd.parse(['--address', 'h:1', '--namespace', 'n', '--tls-cert', 'c', '--tls-key', 'k', '--tls-ca', 'a', '--api-key', 'z', '--profile', 'p'], { from: 'user' });
  assert.deepEqual(cmd.opts(), { address: 'h:1', namespace: 'n', tlsCert: 'c', tlsKey: 'k', tlsCa: 'a', apiKey: 'z', profile: 'p' });
});
