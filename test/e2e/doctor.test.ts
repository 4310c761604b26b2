/**
 * `hakube doctor` as an operator runs it, against a real dev server on free ports: the ready
 * case (exit 0), and each check failing on its own with its fix (exit 2): no server, a wrong
 * namespace, missing search attributes, no codec key or another one, an SSH key others can
 * read, missing or public, and hosts without a known_hosts entry.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { msToTs } from '@temporalio/common/lib/time';
import { startTestServer, type TestServer } from '../helpers/temporal';
import { ed25519Pair } from '../helpers/ssh-keys';
import { secret } from '../../src/temporal/secret';
import { hakubeRaw, ROOT } from './deploy-support';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakube-doctor-'));
const KEY = path.join(dir, 'id_ed25519');
const KNOWN = path.join(dir, 'known_hosts');
const HOSTS = ['10.30.12.203', '10.30.12.204', '10.30.12.205', '10.30.12.206', '10.30.12.207'];
let server: TestServer;
let pub: string;

/** examples/ha-vip.yaml with its SSH paths moved to this test's files. */
function specWith(keyPath: string, knownHosts: string): string {
  const text = fs
    .readFileSync(path.join(ROOT, 'examples', 'ha-vip.yaml'), 'utf8')
    .replace(/privateKeyPath: .*/, `privateKeyPath: ${keyPath}`)
    .replace(/knownHostsPath: .*/, `knownHostsPath: ${knownHosts}`);
  const file = path.join(dir, `spec-${randomBytes(4).toString('hex')}.yaml`);
  fs.writeFileSync(file, text);
  return file;
}

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace, HAKUBE_HOME: path.join(dir, 'home') };
  delete e.HAKUBE_CODEC_KEY;
  delete e.HAKUBE_CODEC_KEY_FILE;
  return { ...e, HAKUBE_CODEC_KEY: server.env.HAKUBE_CODEC_KEY, ...extra };
}

const doctor = (args: string[], e: NodeJS.ProcessEnv = env()) => hakubeRaw(['doctor', ...args], e);

/** The line of one check: `ok ` or `FIX`, its detail and, for a problem, its fix. */
function line(stdout: string, name: string): { ok: boolean; detail: string; fix?: string } {
  const m = new RegExp(`^(ok |FIX)  ${name} +(.*)\\n(?: +fix: (.*)\\n)?`, 'm').exec(stdout);
  assert.ok(m, `no ${name} line in:\n${stdout}`);
  return { ok: m[1] === 'ok ', detail: m[2], fix: m[3] };
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

before(async () => {
  server = await startTestServer();
  const pair = ed25519Pair();
  fs.writeFileSync(KEY, pair.private, { mode: 0o600 });
  fs.writeFileSync(`${KEY}.pub`, pair.public);
  pub = pair.public.split(' ').slice(0, 2).join(' ');
  fs.writeFileSync(KNOWN, HOSTS.map((h) => `${h} ${pub}\n`).join(''));
  // A deploy run whose input carries a secret, so the namespace has an encrypted payload (no
  // worker polls its task queue: it only has to exist).
  await server.client.workflow.start('deployCluster', { taskQueue: 'doctor-idle', workflowId: 'hakube/doctor-check/deploy', args: [{ token: secret('t0ken') }] });
});

after(async () => {
  await server?.client.workflow.getHandle('hakube/doctor-check/deploy').terminate().catch(() => undefined);
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('ready: every check ok, exit 0', async () => {
  const r = await doctor(['-f', specWith(KEY, KNOWN)]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(line(r.stdout, 'server').detail, `Temporal at ${server.address} answers, namespace ${server.namespace}`);
  assert.match(line(r.stdout, 'search attributes').detail, /^HakubeCluster, HakubePhase registered \(Keyword\)/);
  assert.match(line(r.stdout, 'codec key').detail, /^key [0-9a-f]{16} \(1 in the ring\) from HAKUBE_CODEC_KEY decodes the encrypted payloads of hakube\/doctor-check\/deploy$/);
  assert.match(line(r.stdout, 'ssh key').detail, /id_ed25519 \(ssh-ed25519, mode 0600\)$/);
  assert.match(line(r.stdout, 'known_hosts').detail, /^all 5 hosts in /);
  assert.match(r.stdout, /\nready to deploy\n$/);
});

test('no server: says how to start one; the checks that need it are not run', async () => {
  const port = await freePort();
  const r = await doctor(['--address', `127.0.0.1:${port}`]);
  assert.equal(r.code, 2);
  const s = line(r.stdout, 'server');
  assert.deepEqual(s, { ok: false, detail: `cannot reach Temporal at 127.0.0.1:${port} (ECONNREFUSED)`, fix: 'start it with `npx hakube server` or pass --address' });
  assert.equal(line(r.stdout, 'search attributes').detail, 'not checked: no server');
  assert.match(line(r.stdout, 'codec key').detail, /\(no server to check it against\)$/);
});

test('a namespace the server does not have', async () => {
  const r = await doctor(['--namespace', 'no-such-ns']);
  assert.equal(r.code, 2);
  assert.deepEqual(line(r.stdout, 'server'), { ok: false, detail: `namespace "no-such-ns" not found at ${server.address}`, fix: 'create it or pass --namespace' });
});

test("a namespace without hakube's search attributes", async () => {
  const ns = 'doctor-bare';
  await server.client.connection.workflowService.registerNamespace({ namespace: ns, workflowExecutionRetentionPeriod: msToTs('1 day') });
  let r = await doctor([], env({ TEMPORAL_NAMESPACE: ns }));
  for (let i = 0; i < 20 && /not found/.test(r.stdout); i++) {
    await new Promise((res) => setTimeout(res, 500)); // the namespace reaches the frontend's cache
    r = await doctor([], env({ TEMPORAL_NAMESPACE: ns }));
  }
  assert.equal(r.code, 2);
  assert.ok(line(r.stdout, 'server').ok, r.stdout);
  assert.deepEqual(line(r.stdout, 'search attributes'), {
    ok: false,
    detail: `HakubeCluster, HakubePhase not registered in namespace ${ns}`,
    fix: `temporal operator search-attribute create --namespace ${ns} --name HakubeCluster --type Keyword --name HakubePhase --type Keyword`,
  });
  assert.match(line(r.stdout, 'codec key').detail, new RegExp(`no encrypted payloads in namespace ${ns} yet`));
});

test('codec key: none at all, another one than the payloads were written with, and one from a file', async () => {
  const none = await doctor([], env({ HAKUBE_CODEC_KEY: '' }));
  assert.equal(none.code, 2);
  const n = line(none.stdout, 'codec key');
  assert.equal(n.ok, false);
  assert.match(n.detail, /^none: /);
  assert.match(n.fix!, /HAKUBE_CODEC_KEY \(base64 of 32 bytes\) or HAKUBE_CODEC_KEY_FILE/);
  assert.ok(!fs.existsSync(path.join(dir, 'home', 'codec.key')), 'doctor creates no key');

  const other = await doctor([], env({ HAKUBE_CODEC_KEY: randomBytes(32).toString('base64') }));
  assert.equal(other.code, 2);
  const o = line(other.stdout, 'codec key');
  assert.equal(o.ok, false);
  assert.match(o.detail, /cannot decode hakube\/doctor-check\/deploy: payload was encrypted with codec key [0-9a-f]{16} but this process has keys [0-9a-f]{16}/);

  const file = path.join(dir, 'codec.key');
  fs.writeFileSync(file, `${server.env.HAKUBE_CODEC_KEY}\n`, { mode: 0o600 });
  const fromFile = await doctor([], env({ HAKUBE_CODEC_KEY: '', HAKUBE_CODEC_KEY_FILE: file }));
  assert.equal(fromFile.code, 0, fromFile.stdout);
  assert.match(line(fromFile.stdout, 'codec key').detail, new RegExp(`from ${file} decodes`));
});

test('ssh key: others can read it, it is missing, it is the public half', async () => {
  const loose = path.join(dir, 'loose_key');
  fs.copyFileSync(KEY, loose);
  fs.chmodSync(loose, 0o644);
  const r = await doctor(['-f', specWith(loose, KNOWN)]);
  assert.equal(r.code, 2);
  assert.deepEqual(line(r.stdout, 'ssh key'), { ok: false, detail: `${loose} has mode 0644: others can read it, and ssh refuses such keys`, fix: `chmod 600 ${loose}` });
  assert.ok(line(r.stdout, 'known_hosts').ok);

  const missing = await doctor(['-f', specWith(path.join(dir, 'nope'), KNOWN)]);
  assert.equal(missing.code, 2);
  assert.match(line(missing.stdout, 'ssh key').detail, /nope does not exist$/);

  fs.chmodSync(`${KEY}.pub`, 0o600);
  const half = await doctor(['-f', specWith(`${KEY}.pub`, KNOWN)]);
  assert.equal(half.code, 2);
  const h = line(half.stdout, 'ssh key');
  assert.equal(h.ok, false);
  assert.match(h.fix!, /the private key \(not the \.pub file\)/);
});

test('known_hosts: the hosts without an entry, with the command that adds them', async () => {
  const partial = path.join(dir, 'known_hosts_partial');
  fs.writeFileSync(partial, HOSTS.slice(0, 3).map((h) => `${h} ${pub}\n`).join('') + `# w1 and w2 not yet\n`);
  const r = await doctor(['-f', specWith(KEY, partial)]);
  assert.equal(r.code, 2);
  assert.deepEqual(line(r.stdout, 'known_hosts'), {
    ok: false,
    detail: `no entry for w1, w2 (2 of 5) in ${partial}: hakube refuses unknown host keys`,
    fix: `add them, after checking the fingerprints with each host's owner: ssh-keyscan -p 22 10.30.12.206 10.30.12.207 >> ${partial} (or pin each host's key with hostKeyFingerprint in the spec)`,
  });
  assert.ok(line(r.stdout, 'ssh key').ok);
  assert.match(r.stdout, /\n1 problem to fix\n$/);

  // The two hosts pinned in the spec instead: their keys need no known_hosts entry.
  const fp = `SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`;
  const pinnedSpec = fs
    .readFileSync(specWith(KEY, partial), 'utf8')
    .replace(/(\{ name: w[12], address: [0-9.]+,)/g, `$1 hostKeyFingerprint: "${fp}",`);
  const pinnedFile = path.join(dir, 'spec-pinned.yaml');
  fs.writeFileSync(pinnedFile, pinnedSpec);
  const p = await doctor(['-f', pinnedFile]);
  assert.deepEqual(line(p.stdout, 'known_hosts'), { ok: true, detail: `all 3 hosts in ${partial}; 2 pinned by hostKeyFingerprint in the spec`, fix: undefined });
});
