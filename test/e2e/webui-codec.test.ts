/**
 * The Web UI through hakube's codec server, in a real browser: `hakube server --background`
 * (dev server with --ui-codec-endpoint, and the codec server), a deploy of examples/ha-vip.yaml
 * whose payloads have the real shapes (the real workflows; in-memory host activities hand out
 * a known bootstrap token and certificate key), then headless Chromium renders the deploy's
 * page and a join child's page. The DOM shows the cluster and its hosts, shows the secrets as
 * the placeholder, and never their values. Run twice: secrets sealed in place (the default),
 * and whole payloads encrypted (HAKUBE_ENCRYPT_ALL=1), where only the codec server can make
 * anything readable.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleOnce } from '../helpers/temporal';
import { freePort, renderedDom, visibleText } from '../helpers/browser';
import { connectClient, connectNative } from '../../src/temporal/connection';
import { createWorker } from '../../src/worker';
import { parseSpec } from '../../src/spec/parse';
import { buildPlan } from '../../src/plan/build';
import { startDeploy } from '../../src/client/deploy';
import { SECRET_PLACEHOLDER } from '../../src/temporal/display-codec';
import { CERT_KEY, FakeHosts, TOKEN } from './deploy-fakes';
import { ROOT, WORKFLOWS } from './deploy-support';

const BIN = path.join(ROOT, 'bin/hakube.js');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hakube-webui-'));
const env = { ...process.env, HAKUBE_HOME: home, HAKUBE_CODEC_KEY: randomBytes(32).toString('base64') };
let ports: { port: number; ui: number; codec: number };

const portArgs = (): string[] => ['--port', String(ports.port), '--ui-port', String(ports.ui), '--codec-port', String(ports.codec)];

before(async () => {
  ports = { port: await freePort(), ui: await freePort(), codec: await freePort() };
  const r = spawnSync(process.execPath, [BIN, 'server', '--background', ...portArgs()], { env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`codec server for the Web UI started \\(pid \\d+\\) at http://127\\.0\\.0\\.1:${ports.codec}`));
});

after(() => {
  spawnSync(process.execPath, [BIN, 'server', 'stop', ...portArgs()], { env, timeout: 60_000 });
  fs.rmSync(home, { recursive: true, force: true });
});

async function deploy(cluster: string, runEnv: NodeJS.ProcessEnv): Promise<void> {
  const text = fs.readFileSync(path.join(ROOT, 'examples/ha-vip.yaml'), 'utf8').replace(/name: ha-vip/, `name: ${cluster}`);
  const spec = parseSpec(text, `${cluster}.yaml`);
  const address = `127.0.0.1:${ports.port}`;
  const { connection } = await connectNative({ address, env: runEnv });
  const client = await connectClient({ address, env: runEnv });
  try {
    const worker = await createWorker({ connection, env: runEnv, workflowBundle: await bundleOnce(WORKFLOWS), activities: new FakeHosts(buildPlan(spec)).activities() });
    const result = await worker.runUntil(async () => (await startDeploy(client, spec)).result());
    assert.equal(result.state, 'done');
  } finally {
    await client.connection.close();
    await connection.close();
  }
}

async function checkPage(url: string, mustShow: string[]): Promise<void> {
  const dom = await renderedDom(url);
  const text = visibleText(dom);
  for (const needle of mustShow) assert.ok(text.includes(needle), `${needle} is on ${url}`);
  for (const secret of [TOKEN, CERT_KEY, TOKEN.split('.')[1], CERT_KEY.slice(0, 24)]) {
    assert.ok(!dom.includes(secret), `a secret value reached the page ${url}`);
  }
}

for (const [mode, extra] of [
  ['sealed', {}],
  ['encrypt-all', { HAKUBE_ENCRYPT_ALL: '1' }],
] as const) {
  test(`Web UI (${mode}): the deploy's and a join child's pages show cluster and hosts, secrets only as "${SECRET_PLACEHOLDER}"`, async () => {
    const cluster = `webui-${mode}`;
    await deploy(cluster, { ...env, ...extra });
    const ui = `http://127.0.0.1:${ports.ui}/namespaces/default/workflows`;
    await checkPage(`${ui}/${encodeURIComponent(`hakube/${cluster}/deploy`)}`, [cluster, '"m1"', '"m2"', '10.30.12.203']);
    // The child's input starts with its host and credentials: the placeholder proves the
    // codec server answered (sealed values never decode without it; whole payloads neither).
    await checkPage(`${ui}/${encodeURIComponent(`hakube/${cluster}/deploy/join-master/m2/1`)}`, [cluster, '"m2"', `"joinToken" : "${SECRET_PLACEHOLDER}"`, `"certificateKey" : "${SECRET_PLACEHOLDER}"`]);
  });
}
