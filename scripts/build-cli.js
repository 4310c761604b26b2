'use strict';
/**
 * The CLI as shipped: one esbuild bundle of src/ (and, in a checkout, lab/'s commands) in
 * dist/, named by a fingerprint of its sources. The launcher (bin/hakube.js) computes the
 * fingerprint at every start (a stat per source file, a few milliseconds) and runs the bundle
 * of that name, or builds it first; so an edit under src/ is in the next `npx hakube` run with
 * no build command to remember, and a stale bundle is never run.
 *
 * Bundled: our code, commander, zod and yaml (zod alone is 235 files to resolve and compile
 * when required from node_modules). External: the Temporal SDK (native core bridge, and its
 * worker bundles workflow code itself, from src/) and ssh2 (optional native parts).
 *
 * `node scripts/build-cli.js` builds if needed and prints the bundle's path (set-up and the
 * Dockerfile run it); `--check` only says whether the bundle is current (exit 0) or not (1).
 */
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const EXTERNAL = ['@temporalio/*', 'ssh2'];
/** What changes the bundle besides the sources: dependencies, compiler settings, this file. */
const INPUT_FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'scripts/build-cli.js'];
const SOURCE_DIRS = ['src', 'lab'];

function tsFiles(root, dir, out) {
  let entries;
  try {
    entries = fs.readdirSync(path.join(root, dir), { withFileTypes: true });
  } catch (err) {
    if (err.code === 'ENOENT') return out;
    throw err;
  }
  for (const e of entries) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) tsFiles(root, rel, out);
    else if (e.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

/** The sources the bundle is made of and a hash of their names, sizes and mtimes. */
function fingerprint(root) {
  const files = [];
  for (const dir of SOURCE_DIRS) tsFiles(root, dir, files);
  if (files.length === 0) return undefined;
  const hash = crypto.createHash('sha256');
  for (const rel of [...files.sort(), ...INPUT_FILES]) {
    let st;
    try {
      st = fs.statSync(path.join(root, rel));
    } catch {
      hash.update(`${rel} -\n`);
      continue;
    }
    hash.update(`${rel} ${st.size} ${st.mtimeMs}\n`);
  }
  return { id: hash.digest('hex').slice(0, 16), withLab: files.includes('lab/cli.ts') };
}

const distDir = (root) => path.join(root, 'dist');
const bundlePath = (root, id) => path.join(distDir(root), `hakube-${id}.js`);

/**
 * The current bundle's path, or undefined when it must be built. With no sources at all (an
 * install that kept only dist/) the one bundle there is current.
 */
function currentBundle(root) {
  const fp = fingerprint(root);
  if (fp) {
    const file = bundlePath(root, fp.id);
    return fs.existsSync(file) ? file : undefined;
  }
  const only = fs.existsSync(distDir(root)) ? fs.readdirSync(distDir(root)).filter((f) => /^hakube-\w+\.js$/.test(f)) : [];
  return only.length === 1 ? path.join(distDir(root), only[0]) : undefined;
}

/** The entry: the product's `run`, plus the lab's commands when this tree has the lab. */
function entrySource(withLab) {
  return [
    "export { run } from './src/starter';",
    withLab ? "export { register as registerLab } from './lab/cli';" : 'export const registerLab = undefined;',
  ].join('\n');
}

/**
 * One run of the new bundle, so the launcher writes its V8 code cache with every function a
 * `plan` compiles (commander, zod, yaml, the planner), not only those of whatever runs first.
 */
function warmCodeCache(root) {
  // A source edited meanwhile makes the child build again: it then leaves the cache to its first run.
  if (process.env.HAKUBE_WARMING) return;
  const example = path.join(root, 'examples', 'ha-vip.yaml');
  const args = fs.existsSync(example) ? ['plan', '-f', example] : ['--help'];
  require('node:child_process').spawnSync(process.execPath, [path.join(root, 'bin', 'hakube.js'), ...args], {
    stdio: 'ignore',
    env: { ...process.env, HAKUBE_WARMING: '1' },
  });
}

/**
 * Builds the bundle for the sources as they are now and returns its path. Written to a
 * temporary name and renamed, so a concurrent start sees either no bundle or a whole one;
 * two concurrent builds of the same sources write the same bytes. Older bundles are removed
 * (a process running one has read it already).
 */
function build(root) {
  const fp = fingerprint(root);
  if (!fp) throw new Error(`no TypeScript sources under ${SOURCE_DIRS.join(', ')} in ${root}`);
  const esbuild = require('esbuild');
  const out = bundlePath(root, fp.id);
  const tmp = `${out}.${process.pid}.tmp`;
  fs.mkdirSync(distDir(root), { recursive: true });
  try {
    esbuild.buildSync({
      stdin: { contents: entrySource(fp.withLab), resolveDir: root, sourcefile: 'hakube-entry.ts', loader: 'ts' },
      absWorkingDir: root,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: EXTERNAL,
      // import() becomes require(): the launcher runs the bundle as a vm.Script (for its code
      // cache), where a real dynamic import has no module loader to call.
      supported: { 'dynamic-import': false },
      outfile: tmp,
      sourcemap: 'external',
      sourcesContent: false,
      legalComments: 'none',
      logLevel: 'silent',
    });
    fs.renameSync(`${tmp}.map`, `${out}.map`);
    fs.renameSync(tmp, out);
  } finally {
    for (const f of [tmp, `${tmp}.map`]) fs.rmSync(f, { force: true });
  }
  for (const f of fs.readdirSync(distDir(root))) {
    if (/^hakube-\w+\.js(\.map|\.cache)?$/.test(f) && !f.startsWith(path.basename(out))) fs.rmSync(path.join(distDir(root), f), { force: true });
  }
  warmCodeCache(root);
  return out;
}

module.exports = { fingerprint, currentBundle, build, EXTERNAL };

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const current = currentBundle(root);
  if (process.argv.includes('--check')) {
    process.stdout.write(current ? `${path.relative(root, current)} is current\n` : 'the CLI bundle is missing or stale\n');
    process.exit(current ? 0 : 1);
  }
  process.stdout.write(`${path.relative(root, current ?? build(root))}\n`);
}
