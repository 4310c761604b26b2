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
import { Worker as Thread } from 'node:worker_threads';
import type { BundleOptions } from '@temporalio/worker';

type BundleLogger = NonNullable<BundleOptions['logger']>;
type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/**
 * What the bundling thread runs: plain CommonJS given as source, so it needs neither tsx nor a
 * file of its own beside the CLI's bundle; the SDK comes by the path the caller resolved.
 */
const BUNDLE_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { bundleWorkflowCode } = require(workerData.sdk);
const send = (level) => (message) => parentPort.postMessage({ level, message: String(message) });
const logger = { trace: send('trace'), debug: send('debug'), info: send('info'), log: send('info'), warn: send('warn'), error: send('error') };
bundleWorkflowCode({ workflowsPath: workerData.workflowsPath, logger }).then(
  ({ code }) => parentPort.postMessage({ code }),
  (err) => parentPort.postMessage({ error: (err && err.stack) || String(err) }),
);
`;

/**
 * bundleWorkflowCode in a thread of its own. webpack and swc leave a couple of hundred MB in
 * the heap that ran them (measured: a worker that bundled at start sat 210 MB higher, for its
 * whole life, than one that found the bundle in dist/); a thread's heap goes when it ends.
 */
function bundleInThread(workflowsPath: string, logger: BundleLogger): Promise<string> {
  return new Promise((resolve, reject) => {
    const thread = new Thread(BUNDLE_THREAD, { eval: true, workerData: { workflowsPath, sdk: require.resolve('@temporalio/worker') } });
    let code: string | undefined;
    thread.on('message', (m: { level?: LogLevel; message?: string; code?: string; error?: string }) => {
      if (m.level) logger[m.level](m.message ?? '');
      else if (m.error !== undefined) reject(new Error(m.error));
      else code = m.code;
    });
    thread.on('error', reject);
    thread.on('exit', (exitCode) => (code !== undefined ? resolve(code) : reject(new Error(`workflow bundling thread exited ${exitCode} without a bundle`))));
  });
}

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
  logger: BundleLogger;
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
