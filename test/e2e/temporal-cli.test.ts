/**
 * The CLI as an operator meets it (`node bin/hakube.js ...` as a child process): a wrong
 * address, a server that is down, and a missing Temporal CLI each give one line and a non-zero
 * exit; `hakube --help` gives every command a one-line description.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';

const BIN = path.join(__dirname, '../../bin/hakube.js');

function hakube(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...process.env, TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0], pattern);
}

/** A port nothing listens on: bound and released by us, on loopback. */
async function closedPort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

test('a malformed Temporal address: one line, exit 2', () => {
  const r = hakube(['worker', '--address', 'temporal-without-port']);
  assert.equal(r.code, 2);
  assertOneLine(r.stderr, /^hakube: invalid Temporal address "temporal-without-port": expected host:port/);
});

test('a server that is down: one line saying how to start it, exit 1', async () => {
  const port = await closedPort();
  const r = hakube(['worker'], { TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
  assert.equal(r.code, 1);
  assertOneLine(r.stderr, new RegExp(`^hakube: cannot reach Temporal at 127\\.0\\.0\\.1:${port} .*start it with \`npx hakube server\` or pass --address`));
  const status = hakube(['server', 'status', '--port', String(port)]);
  assert.equal(status.code, 1);
  assertOneLine(status.stderr, /no Temporal server answers/);
});

test('a missing Temporal CLI binary: one line saying to run setup, exit 1', async () => {
  const port = await closedPort();
  const r = hakube(['server', '--background', '--port', String(port)], {
    HAKUBE_TEMPORAL_BIN: '/nonexistent/.tools/bin/temporal',
    HAKUBE_HOME: path.join('/tmp', `hakube-nobin-${process.pid}`),
  });
  assert.equal(r.code, 1);
  assertOneLine(r.stderr, /^hakube: Temporal CLI not built: run `npm run setup`$/);
});

test('hakube --help lists every command with a one-line description', () => {
  const r = hakube(['--help']);
  assert.equal(r.code, 0);
  const section = r.stdout.split(/^Commands:$/m)[1] ?? '';
  // Commander wraps long descriptions onto indented continuation lines; entries start at 2 spaces.
  const entries = section.split('\n').filter((l) => /^ {2}\S/.test(l));
  const names = entries.map((l) => l.trim().split(/\s+/)[0]);
  for (const name of ['server', 'worker', 'help']) assert.ok(names.includes(name), `${name} is listed`);
  for (const entry of entries) {
    assert.match(entry, /^ {2}\S.*?\s{2,}\S/, `command without a description: ${entry.trim()}`);
  }
});
