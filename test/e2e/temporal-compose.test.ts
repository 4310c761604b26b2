/**
 * docker-compose.yml cannot be run here (no Docker engine), so this validates what can be:
 * Debian's docker-compose accepts it, the services exist, ports and secrets come from the
 * environment, its schema, server and setup jobs run the repo's deploy/temporal files (the ones
 * `hakube server --persistence postgres` runs, tested for real in temporal-cluster.test.ts),
 * temporal-server itself renders the compose environment into a PostgreSQL configuration, and
 * the setup script really creates a namespace and hakube's search attributes against a real
 * Temporal (the dev server, with the same Temporal CLI).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { startTestServer, TEMPORAL_BIN, type TestServer } from '../helpers/temporal';
import { clusterConfig } from '../../src/temporal/cluster';
import { serverProcess } from '../../src/temporal/cluster/server';

const ROOT = path.join(__dirname, '../..');
const DEPLOY = path.join(ROOT, 'deploy', 'temporal');

interface ComposeService {
  image?: string;
  build?: unknown;
  ports?: Array<string | { published: number | string; target: number; host_ip?: string }>;
  environment?: Record<string, string>;
  command?: string[] | string;
  entrypoint?: string[] | string;
  volumes?: Array<string | { source: string; target: string; read_only?: boolean }>;
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

test('the schema, server and setup jobs run the repo\'s deploy/temporal files', () => {
  const { services } = composeConfig();
  for (const name of ['temporal-schema', 'temporal', 'temporal-setup']) {
    assert.deepEqual(mounts(services[name]), [`${DEPLOY}:/etc/hakube/temporal:ro`], `${name} mounts deploy/temporal`);
  }
  assert.deepEqual(services['temporal-schema'].entrypoint, ['/bin/sh', '/etc/hakube/temporal/schema.sh']);
  assert.deepEqual(services['temporal-setup'].entrypoint, ['/bin/sh', '/etc/hakube/temporal/setup.sh']);
  assert.match(String(services.temporal.entrypoint), /exec temporal-server --root \/ --config \/etc\/hakube\/temporal\/config --env hakube/);
  // Every variable a script insists on is set by its job.
  for (const [job, script] of [['temporal-schema', 'schema.sh'], ['temporal-setup', 'setup.sh']] as const) {
    const required = [...fs.readFileSync(path.join(DEPLOY, script), 'utf8').matchAll(/"\$\{(\w+):\?\}"/g)].map((m) => m[1]);
    assert.ok(required.length > 0);
    for (const v of required) assert.ok(services[job].environment?.[v] !== undefined, `${job} sets ${v} for ${script}`);
  }
});

test('temporal-server renders the compose environment into the same configuration hakube runs', () => {
  const { services } = composeConfig({ POSTGRES_PASSWORD: 'pw-from-env' });
  const env = { ...services.temporal.environment, DYNAMIC_CONFIG_FILE: path.join(DEPLOY, 'config', 'dynamicconfig.yaml') };
  const rendered = renderServerConfig(env);
  assert.match(rendered, /connectaddr: postgresql:5432/i);
  assert.match(rendered, /databasename: temporal_visibility/i);
  assert.doesNotMatch(rendered, /requireclientauth: true/i, 'no TLS unless TEMPORAL_TLS_DIR names the certificates');
  // hakube's own cluster: the same file with loopback, its ports and mTLS.
  const cfg = clusterConfig({ home: '/tmp/hakube-render', port: 17233 });
  const own = renderServerConfig(serverProcess(cfg).env as Record<string, string>);
  assert.match(own, /connectaddr: 127\.0\.0\.1:17432/i);
  assert.match(own, /requireclientauth: true/i);
  assert.match(own, /grpcport: 17233/i);
});

describeSetupJob();

function mounts(s: ComposeService): string[] {
  return (s.volumes ?? []).map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}${v.read_only ? ':ro' : ''}`));
}

function renderServerConfig(env: Record<string, string>): string {
  const bin = path.join(ROOT, '.tools', 'bin', 'temporal-server');
  return execFileSync(bin, ['--config', path.join(DEPLOY, 'config'), '--env', 'hakube', 'render-config'], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
}

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
    const namespace = 'compose-check';
    // The job's own script and environment, with the address of this machine's server.
    const run = (): void =>
      void execFileSync('/bin/sh', [path.join(DEPLOY, 'setup.sh')], {
        env: {
          ...process.env,
          ...services['temporal-setup'].environment,
          PATH: `${path.dirname(TEMPORAL_BIN)}:${process.env.PATH}`,
          TEMPORAL_ADDRESS: server.address,
          NAMESPACE: namespace,
        },
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
