/**
 * The worker's workflow bundle, built once per source version and kept in dist/. Bundling
 * (webpack + swc over src/workflows and all it imports) takes seconds and a few hundred MB at
 * every `hakube worker` start; a worker that replaces a killed one must be polling again within
 * seconds, and its peak memory should be the activities', not the bundler's.
 *
 * The cache key is a hash of the contents of every source file the bundle can include and of
 * the lock file (the SDK's version decides the bundle too), so a stale bundle is never used.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BundleOptions } from '@temporalio/worker';

function tsFiles(dir: string, out: string[]): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) tsFiles(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** A hash of what the bundle is made of: the sources under `srcDir` and the lock file. */
export function bundleKey(root: string, srcDir: string): string {
  const hash = createHash('sha256');
  const files = tsFiles(srcDir, []).sort();
  for (const f of [...files, path.join(root, 'package-lock.json')]) {
    hash.update(`${path.relative(root, f)}\0`);
    try {
      hash.update(fs.readFileSync(f));
    } catch {
      hash.update('-');
    }
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

export interface CachedBundleOptions {
  root: string;
  workflowsPath: string;
  logger: NonNullable<BundleOptions['logger']>;
}

/**
 * The path of the bundle for these sources, building it first when dist/ has none. Written to a
 * temporary name and renamed, so two workers starting at once never read half a file.
 */
export async function cachedWorkflowBundle(opts: CachedBundleOptions): Promise<{ codePath: string }> {
  const dist = path.join(opts.root, 'dist');
  const codePath = path.join(dist, `workflows-${bundleKey(opts.root, path.join(opts.root, 'src'))}.js`);
  if (fs.existsSync(codePath)) return { codePath };
  const code = await bundleInThread(opts.workflowsPath, opts.logger);
  fs.mkdirSync(dist, { recursive: true });
  const tmp = `${codePath}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, code);
  fs.renameSync(tmp, codePath);
  // Older versions' bundles are only disk space: keep the newest few for a quick switch back.
  const old = fs
    .readdirSync(dist)
    .filter((f) => /^workflows-\w+\.js$/.test(f) && path.join(dist, f) !== codePath)
    .map((f) => ({ f, t: fs.statSync(path.join(dist, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { f } of old.slice(3)) fs.rmSync(path.join(dist, f), { force: true });
  return { codePath };
}

/**
 * The bundler in a thread of its own: webpack's and swc's working memory (a few hundred MB) goes
 * when the thread ends, where on the worker's own heap V8 kept most of it for the whole run (a
 * first start after a source change deployed 3+100 at 407 MB resident, a cached one at 315).
 * The thread resolves the SDK from where this process found it (the CLI's own bundle keeps
 * `@temporalio/*` external), not from its working directory.
 */
const BUNDLER = `
const { parentPort, workerData } = require('node:worker_threads');
const say = (level) => (message) => parentPort.postMessage({ level, message: String(message) });
const logger = { trace() {}, debug() {}, info() {}, log() {}, warn: say('warn'), error: say('error') };
require('node:module')
  .createRequire(workerData.from)('@temporalio/worker')
  .bundleWorkflowCode({ workflowsPath: workerData.workflowsPath, logger })
  .then(({ code }) => parentPort.postMessage({ code }), (err) => parentPort.postMessage({ failed: err && err.stack ? err.stack : String(err) }));
`;

type BundlerMessage = { code: string } | { failed: string } | { level: 'warn' | 'error'; message: string };

function bundleInThread(workflowsPath: string, logger: CachedBundleOptions['logger']): Promise<string> {
  return new Promise((resolve, reject) => {
    const thread = new Worker(BUNDLER, { eval: true, workerData: { from: require.resolve('@temporalio/worker'), workflowsPath } });
    let settled = false;
    thread.on('message', (m: BundlerMessage) => {
      if ('level' in m) return logger[m.level](m.message);
      settled = true;
      if ('code' in m) resolve(m.code);
      else reject(new Error(`bundling ${workflowsPath} failed: ${m.failed}`));
      void thread.terminate();
    });
    thread.on('error', (err) => {
      settled = true;
      reject(err);
    });
    thread.on('exit', (code) => {
      if (!settled) reject(new Error(`the workflow bundler's thread exited ${code} without a bundle`));
    });
  });
}
