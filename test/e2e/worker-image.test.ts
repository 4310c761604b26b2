/**
 * The worker image without Docker: a folder holding exactly what the Dockerfile copies, set up
 * by the Dockerfile's own RUN commands (`npm ci --omit=dev` from the npm cache, the CLI build),
 * must start `hakube worker`: no lab/, no dev dependencies, no examples. The worker then bundles
 * the workflows from the image's src/ and polls a real dev server.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT as ROOT } from '../../src/temporal/paths';
import { startTestServer, type TestServer } from '../helpers/temporal';

interface Instruction {
  op: string;
  args: string;
}

function dockerfile(): Instruction[] {
  const text = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'))
    .map((l) => {
      const m = /^(\w+)\s+(.*)$/.exec(l.trim())!;
      return { op: m[1].toUpperCase(), args: m[2] };
    });
}

/** COPY as Docker does it: a folder's contents into the destination, files into a folder or to a name. */
function copy(args: string, image: string): void {
  const words = args.split(/\s+/);
  const dest = words.pop()!;
  for (const src of words) {
    const from = path.join(ROOT, src);
    const isDir = fs.statSync(from).isDirectory();
    const intoFolder = dest.endsWith('/') || words.length > 1;
    const to = isDir || !intoFolder ? path.join(image, dest) : path.join(image, dest, path.basename(src));
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.cpSync(from, to, { recursive: true });
  }
}

let image: string;
let server: TestServer;
const ran: string[] = [];

before(async () => {
  image = fs.mkdtempSync(path.join(os.tmpdir(), 'hakube-image-'));
  for (const { op, args } of dockerfile()) {
    if (op === 'COPY') copy(args, image);
    if (op !== 'RUN') continue;
    for (const cmd of args.split('&&').map((c) => c.trim())) {
      // npm ci from this machine's npm cache; the rest (cache clean, mkdir/chown under /var) is
      // housekeeping of the image's own file system.
      const run = cmd.startsWith('npm ci ') ? `${cmd} --prefer-offline --loglevel=error` : cmd.startsWith('node ') ? cmd : undefined;
      if (!run) continue;
      const r = spawnSync('bash', ['-c', run], { cwd: image, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' }, timeout: 600_000 });
      assert.equal(r.status, 0, `${run}: ${r.stderr}`);
      ran.push(run);
    }
  }
  server = await startTestServer();
});

after(async () => {
  await server?.stop();
  if (image) fs.rmSync(image, { recursive: true, force: true });
});

const hakube = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/hakube.js', ...args], { cwd: image, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production', HAKUBE_HOME: path.join(image, 'home') } });

test('the image folder is what the Dockerfile copies, with production dependencies and the CLI build', () => {
  assert.ok(ran.some((c) => c.startsWith('npm ci --omit=dev')) && ran.some((c) => c.startsWith('node scripts/build-cli.js')), ran.join('; '));
  for (const absent of ['lab', 'examples', 'test', 'node_modules/typescript', 'node_modules/eslint', 'node_modules/@temporalio/testing']) {
    assert.ok(!fs.existsSync(path.join(image, absent)), `${absent} is not in the image`);
  }
  assert.ok(fs.readdirSync(path.join(image, 'dist')).some((f) => /^hakube-\w+\.js$/.test(f)));
});

test('hakube worker --help and --help start in the image; there is no lab command', () => {
  const w = hakube('worker', '--help');
  assert.equal(w.status, 0, w.stderr);
  assert.match(w.stdout, /^Usage: hakube worker \[options\]\n\nrun the hakube worker/);
  assert.match(w.stdout, /--max-concurrent-activities <n>/);
  const help = hakube('--help');
  assert.equal(help.status, 0, help.stderr);
  assert.doesNotMatch(help.stdout, /^ {2}lab /m);
  const lab = hakube('lab', 'status');
  assert.equal(lab.status, 2);
  assert.match(lab.stderr, /unknown command 'lab'/);
});

test('hakube worker in the image bundles the workflows from its src/ and polls the server; SIGTERM drains it', async () => {
  const child = spawn(process.execPath, ['bin/hakube.js', 'worker'], {
    cwd: image,
    env: { ...server.env, NODE_ENV: 'production', HAKUBE_HOME: path.join(image, 'home'), TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 240_000;
    while (!stderr.includes('polling task queue') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    assert.match(stderr, /hakube worker: polling task queue "hakube" on 127\.0\.0\.1:\d+ \(namespace default\)/, stderr);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, stderr);
});
