/**
 * docker-compose.yml cannot be run here (no Docker engine), so this validates what can be:
 * Debian's docker-compose accepts it, the services exist, ports and secrets come from the
 * environment, and the setup job's script really creates a namespace and hakube's search
 * attributes when run against a real Temporal (the dev server, with the same Temporal CLI).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { startTestServer, TEMPORAL_BIN, type TestServer } from '../helpers/temporal';

const ROOT = path.join(__dirname, '../..');

interface ComposeService {
  image?: string;
  build?: unknown;
  ports?: Array<string | { published: number | string; target: number; host_ip?: string }>;
  environment?: Record<string, string>;
  command?: string[] | string;
  depends_on?: Record<string, { condition: string }>;
}

function composeConfig(env: Record<string, string> = {}): { services: Record<string, ComposeService> } {
  const out = execFileSync('docker-compose', ['-f', path.join(ROOT, 'docker-compose.yml'), 'config'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return parse(out) as { services: Record<string, ComposeService> };
}

const published = (s: ComposeService): string[] =>
  (s.ports ?? []).map((p) => (typeof p === 'string' ? p.replace(/\/tcp$/, '') : `${p.host_ip ?? ''}:${p.published}:${p.target}`));

test('docker-compose config -q accepts the file', () => {
  const r = spawnSync('docker-compose', ['-f', path.join(ROOT, 'docker-compose.yml'), 'config', '-q'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('the services exist and start in order', () => {
  const { services } = composeConfig();
  assert.deepEqual(Object.keys(services).sort(), ['hakube-codec', 'hakube-worker', 'postgresql', 'temporal', 'temporal-schema', 'temporal-setup', 'temporal-ui']);
  assert.ok(services['hakube-worker'].build, 'the worker is built from the Dockerfile');
  assert.equal(services.temporal.depends_on?.['temporal-schema'].condition, 'service_completed_successfully');
  assert.equal(services['hakube-worker'].depends_on?.['temporal-setup'].condition, 'service_completed_successfully');
  assert.deepEqual(published(services.temporal), ['127.0.0.1:7233:7233']);
  assert.deepEqual(published(services['temporal-ui']), ['127.0.0.1:8233:8080']);
  // The UI decodes through hakube's codec server, published on loopback, CORS for the UI's origin.
  assert.equal(services['temporal-ui'].environment?.TEMPORAL_CODEC_ENDPOINT, 'http://127.0.0.1:8234');
  assert.deepEqual(published(services['hakube-codec']), ['127.0.0.1:8234:8234']);
  const codec = services['hakube-codec'].command as string[];
  assert.deepEqual(codec.slice(0, 3), ['node', 'bin/hakube.js', 'codec-server']);
  assert.deepEqual(codec.slice(codec.indexOf('--ui-origin') + 1), ['http://127.0.0.1:8233', 'http://localhost:8233']);
});

test('ports and secrets come from the environment', () => {
  const { services } = composeConfig({
    TEMPORAL_PORT: '17001',
    TEMPORAL_UI_PORT: '18001',
    TEMPORAL_UI_BIND_IP: '0.0.0.0',
    POSTGRES_PASSWORD: 'pw-from-env',
    HAKUBE_CODEC_KEY: 'key-from-env',
    TEMPORAL_NAMESPACE: 'ns-from-env',
    HAKUBE_CODEC_PORT: '18002',
  });
  assert.deepEqual(published(services['hakube-codec']), ['127.0.0.1:18002:8234']);
  assert.equal(services['temporal-ui'].environment?.TEMPORAL_CODEC_ENDPOINT, 'http://127.0.0.1:18002');
  assert.ok((services['hakube-codec'].command as string[]).includes('http://127.0.0.1:18001'), 'CORS follows the UI port');
  assert.equal(services['hakube-codec'].environment?.HAKUBE_CODEC_KEY, 'key-from-env');
  assert.deepEqual(published(services.temporal), ['127.0.0.1:17001:7233']);
  assert.deepEqual(published(services['temporal-ui']), ['0.0.0.0:18001:8080']);
  assert.equal(services.postgresql.environment?.POSTGRES_PASSWORD, 'pw-from-env');
  assert.equal(services.temporal.environment?.POSTGRES_PWD, 'pw-from-env');
  assert.equal(services['temporal-schema'].environment?.SQL_PASSWORD, 'pw-from-env');
  assert.equal(services['hakube-worker'].environment?.HAKUBE_CODEC_KEY, 'key-from-env');
  assert.equal(services['hakube-worker'].environment?.TEMPORAL_NAMESPACE, 'ns-from-env');
});

test('the Dockerfile copies files that exist and keeps keys and local state out', () => {
  const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const sources = [...dockerfile.matchAll(/^COPY\s+(.+)\s+\S+$/gm)].flatMap((m) => m[1].split(/\s+/));
  assert.ok(sources.includes('src') && sources.includes('package-lock.json'));
  for (const src of sources) assert.ok(fs.existsSync(path.join(ROOT, src)), `${src} exists`);
  assert.match(dockerfile, /^CMD \["node", "bin\/hakube.js", "worker"\]$/m);
  const ignored = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
  for (const entry of ['.hakube', '.tools', 'node_modules', '*.key', '*.pem', '.env']) assert.ok(ignored.includes(entry), `${entry} ignored`);
});

describeSetupJob();

function describeSetupJob(): void {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.stop();
  });

  test('the setup job creates the namespace and search attributes, and can run again', async () => {
    const { services } = composeConfig();
    const command = services['temporal-setup'].command;
    assert.ok(Array.isArray(command) && command.length === 1);
    const namespace = 'compose-check';
    // `config` prints the file's `$$` escapes as they are; the container's shell gets `$`.
    const script = command[0].replace(/\$\$/g, '$');
    const run = (): void =>
      void execFileSync('/bin/sh', ['-c', script], {
        env: { ...process.env, PATH: `${path.dirname(TEMPORAL_BIN)}:${process.env.PATH}`, TEMPORAL_ADDRESS: server.address, NAMESPACE: namespace },
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 60_000,
      });
    run();
    run();
    const ops = server.client.connection.operatorService;
    const { customAttributes } = await ops.listSearchAttributes({ namespace });
    assert.equal(customAttributes?.HakubeCluster, 2 /* INDEXED_VALUE_TYPE_KEYWORD */);
    assert.equal(customAttributes?.HakubePhase, 2);
  });
}
