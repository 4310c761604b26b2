/**
 * The launcher (bin/hakube.js + scripts/build-cli.js) as an operator meets it: the README's own
 * `npx hakube` lines, a global install, a closed pipe, an edit picked up by the next run, and
 * commands that load only what they need.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { bigSpecFile } from '../helpers/big-spec';
import { PROJECT_ROOT as ROOT } from '../../src/temporal/paths';

const BIN = path.join(ROOT, 'bin', 'hakube.js');

/** The `npx hakube ...` lines of the README's code blocks, comments stripped. */
function readmeLines(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((b) => b.split('\n')).map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l.startsWith('npx hakube '));
}

function readmeLine(pattern: RegExp): string {
  const line = readmeLines().find((l) => pattern.test(l));
  assert.ok(line, `README has a line matching ${pattern}`);
  return line;
}

function sh(line: string, env: NodeJS.ProcessEnv = {}, cwd = ROOT) {
  return spawnSync('bash', ['-c', line], { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

test("the README's npx hakube lines run the CLI: --help, plan, schema", () => {
  const help = sh(readmeLine(/^npx hakube --help$/));
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: hakube \[options\] \[command\]/);
  for (const cmd of ['deploy', 'status', 'logs', 'plan', 'schema', 'server', 'worker', 'lab', 'doctor']) {
    assert.match(help.stdout, new RegExp(`^ {2}${cmd} `, 'm'), `--help lists ${cmd}`);
  }

  const plan = sh(readmeLine(/^npx hakube plan -f examples\/ha-vip\.yaml$/));
  assert.equal(plan.status, 0, plan.stderr);
  assert.match(plan.stdout, /^Plan for cluster ha-vip \(master0: m1\)\n\n1\. prep: m1-m3, w1, w2 /);
  assert.match(plan.stdout, /^6\. join-workers: w1, w2 \(up to 2 at a time, 2 steps\)$/m);
  assert.equal(plan.stderr, '');

  const line = readmeLine(/^npx hakube schema > \S+$/);
  const out = path.join(ROOT, line.split('>')[1].trim());
  const existed = fs.existsSync(out);
  try {
    const schema = sh(line);
    assert.equal(schema.status, 0, schema.stderr);
    const json = JSON.parse(fs.readFileSync(out, 'utf8')) as { title: string; properties: Record<string, unknown> };
    assert.equal(json.title, 'hakube Cluster');
    assert.ok(json.properties.spec && json.properties.metadata);
  } finally {
    if (!existed) fs.rmSync(out, { force: true });
  }
});

test("a README line that needs a server says how to start one, on stderr, exit 1", async () => {
  const port = await freePort();
  const line = readmeLine(/^npx hakube status CLUSTER/).replace('CLUSTER', 'ha-vip').replace(/\s*\[[^\]]*\]/g, '');
  assert.equal(line, 'npx hakube status ha-vip');
  const r = sh(line, { TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `hakube: cannot reach Temporal at 127.0.0.1:${port} (ECONNREFUSED): start it with \`npx hakube server\` or pass --address\n`);
});

test('a global install (npm install -g, as npm link does) runs the CLI from any directory', () => {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'hakube-global-'));
  try {
    execFileSync('npm', ['install', '-g', '--prefix', prefix, ROOT, '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'pipe' });
    const bin = path.join(prefix, 'bin', 'hakube');
    assert.ok(fs.lstatSync(bin).isSymbolicLink());
    const r = spawnSync(bin, ['plan', '-f', path.join(ROOT, 'examples', 'ha-local-proxy.yaml')], { cwd: os.tmpdir(), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Plan for cluster ha-local-proxy \(master0: k1\)/);
  } finally {
    fs.rmSync(prefix, { recursive: true, force: true });
  }
});

test('a reader that goes away (| head, | grep -q) ends the command quietly, exit 0', () => {
  const file = bigSpecFile(100);
  for (const reader of ['head -1', 'grep -q "Plan for"']) {
    const r = sh(`set -o pipefail; node ${BIN} plan --hosts -f ${file} | ${reader}; echo "exit=\${PIPESTATUS[0]}" >&2`);
    assert.equal(r.stderr, 'exit=0\n', `${reader}: no stack trace, exit 0`);
  }
  const json = sh(`node ${BIN} plan --json -f ${file} | head -c 100 >/dev/null; echo "exit=\${PIPESTATUS[0]}" >&2`);
  assert.equal(json.stderr, 'exit=0\n');
});

test('--help, plan, schema and worker --help run from the bundle and load no Temporal SDK', () => {
  const hook = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hakube-hook-')), 'hook.js');
  fs.writeFileSync(
    hook,
    `const M = require('module'); const load = M._load; const seen = new Set();
     M._load = function (request) { seen.add(request); return load.apply(this, arguments); };
     process.on('exit', () => require('fs').writeSync(2, 'LOADED ' + JSON.stringify([...seen]) + '\\n'));`,
  );
  const loaded = (...args: string[]) => {
    const r = spawnSync(process.execPath, ['-r', hook, BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(/LOADED (.*)/.exec(r.stderr)![1]) as string[];
  };
  for (const args of [['--help'], ['plan', '-f', 'examples/ha-vip.yaml'], ['worker', '--help'], ['schema']]) {
    const mods = loaded(...args);
    // The bundle runs as a vm.Script (for its code cache); the tsx fallback would relaunch instead.
    assert.ok(mods.includes('node:vm'), `${args.join(' ')} runs from the bundle`);
    assert.deepEqual(mods.filter((m) => m.endsWith('.ts') || m.startsWith('tsx')), [], `${args.join(' ')} loads no TypeScript`);
    assert.deepEqual(mods.filter((m) => m.startsWith('@temporalio/') || m === 'ssh2'), [], `${args.join(' ')} loads no SDK`);
  }
});

/** A throw-away project with the launcher, its builder and a one-file CLI. */
function miniProject(): { dir: string; write: (version: string) => void; run: () => ReturnType<typeof spawnSync> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakube-mini-'));
  for (const f of ['bin/hakube.js', 'scripts/build-cli.js']) {
    fs.mkdirSync(path.join(dir, path.dirname(f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
  }
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "mini", "private": true }\n');
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  fs.mkdirSync(path.join(dir, 'src'));
  const write = (version: string) =>
    fs.writeFileSync(
      path.join(dir, 'src', 'starter.ts'),
      `export function run(argv: string[], extra: unknown[]): void { console.log('${version}', argv.slice(2).join(' '), extra.length); }\n`,
    );
  return { dir, write, run: () => spawnSync(process.execPath, [path.join(dir, 'bin', 'hakube.js'), 'a', 'b'], { encoding: 'utf8' }) };
}

const bundles = (dir: string) => fs.readdirSync(path.join(dir, 'dist')).filter((f) => f.endsWith('.js'));

test('an edit under src/ is in the next run: the launcher builds the new bundle and drops the old one', () => {
  const p = miniProject();
  try {
    p.write('v1');
    const first = p.run();
    assert.equal(first.stdout, 'v1 a b 0\n', String(first.stderr));
    const [b1] = bundles(p.dir);
    p.write('v2-longer');
    const second = p.run();
    assert.equal(second.stdout, 'v2-longer a b 0\n', String(second.stderr));
    const after = bundles(p.dir);
    assert.equal(after.length, 1);
    assert.notEqual(after[0], b1);
    assert.ok(fs.existsSync(path.join(p.dir, 'dist', `${after[0]}.cache`)), 'a V8 code cache next to the bundle');
    assert.equal(execFileSync(process.execPath, [path.join(p.dir, 'scripts', 'build-cli.js'), '--check'], { encoding: 'utf8' }), `dist/${after[0]} is current\n`);
  } finally {
    fs.rmSync(p.dir, { recursive: true, force: true });
  }
});

test('sources that do not build run through tsx, which reports the error', () => {
  const p = miniProject();
  try {
    p.write('v1');
    fs.appendFileSync(path.join(p.dir, 'src', 'starter.ts'), 'export const broken = ;\n');
    const r = p.run();
    assert.notEqual(r.status, 0);
    assert.match(String(r.stderr), /starter\.ts:2:\d+: ERROR: Unexpected ";"|Transform failed/);
    assert.equal(fs.existsSync(path.join(p.dir, 'dist')) ? bundles(p.dir).length : 0, 0, 'no bundle of broken sources');
  } finally {
    fs.rmSync(p.dir, { recursive: true, force: true });
  }
});
