#!/usr/bin/env node
'use strict';
/**
 * The launcher behind `npx hakube`, `node bin/hakube.js` and a linked or global install. It runs
 * the bundle of the current sources (scripts/build-cli.js), building it first when the sources
 * changed; if that cannot be built (a read-only install, a syntax error to report) it runs the
 * TypeScript through tsx instead, which is slower to start but says what is wrong. So does
 * HAKUBE_FROM_SOURCE=1. It always
 * calls the CLI's `run`: no test of how this file was reached, which npx and links change.
 */
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/**
 * require() for the bundle, with a V8 code cache next to it (Node 20 has no
 * module.enableCompileCache): compiling 1.4 MB of JavaScript is a third of a `hakube plan`.
 * The cache is written after the first run of a new bundle, so it holds every function that run
 * compiled; a cache V8 rejects (another Node) is written anew. Cannot write it: run without.
 */
function requireBundle(file) {
  const vm = require('node:vm');
  const Module = require('node:module');
  const cacheFile = `${file}.cache`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
  if (!cachedData || script.cachedDataRejected) {
    process.once('exit', () => {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {
        fs.rmSync(tmp, { force: true });
      }
    });
  }
  // What the CommonJS wrapper gets: a require resolving from the bundle's folder, as Node's would.
  const mod = { exports: {}, filename: file, id: file };
  script.runInThisContext()(mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  return mod.exports;
}

function fromBundle() {
  const builder = require('../scripts/build-cli.js');
  let file = builder.currentBundle(root);
  if (!file) {
    try {
      file = builder.build(root);
    } catch (err) {
      if (process.env.HAKUBE_DEBUG) process.stderr.write(`hakube: no bundle (${err.message.split('\n')[0]}); running the sources through tsx\n`);
      return undefined;
    }
  }
  if (process.env.HAKUBE_DEBUG) process.setSourceMapsEnabled(true);
  const cli = requireBundle(file);
  return { run: cli.run, lab: cli.registerLab };
}

/** The sources through tsx, in this process when it was started with `--import tsx`. */
function fromSources() {
  const labCli = path.join(root, 'lab', 'cli.ts');
  return { run: require('../src/starter.ts').run, lab: fs.existsSync(labCli) ? require(labCli).register : undefined };
}

/**
 * Runs this launcher again as a child (`nodeArgs` before it, `env` added), passing signals on and
 * ending as the child did: with its code, or by its signal. A `supervised` child has its own
 * process group and an IPC channel whose end tells it the launcher is gone (dieWithLauncher).
 */
function runAgain(nodeArgs, env, { supervised = false } = {}) {
  const { spawn } = require('node:child_process');
  const child = spawn(process.execPath, [...nodeArgs, __filename, ...process.argv.slice(2)], {
    stdio: supervised ? ['inherit', 'inherit', 'inherit', 'ipc'] : 'inherit',
    detached: supervised,
    env: { ...process.env, ...env },
  });
  const forward = (sig) => child.kill(sig);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of signals) process.on(sig, forward);
  child.on('exit', (code, signal) => {
    for (const sig of signals) process.off(sig, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

/**
 * Runs this launcher again under `node --import tsx` (tsx's CJS and ESM hooks: the CLI loads
 * its commands with import()).
 */
function relaunchWithTsx() {
  // tsx by file URL: --import resolves a bare name from the current directory, not from here.
  const tsx = require('node:url').pathToFileURL(require.resolve('tsx')).href;
  // A supervised worker's tsx run is supervised by it in turn: a SIGKILL of the launcher ends
  // this process, whose end then ends the worker.
  runAgain(['--import', tsx], { HAKUBE_UNDER_TSX: '1' }, { supervised: Boolean(process.env.HAKUBE_WORKER_SUPERVISED) });
}

/**
 * glibc gives each thread that allocates its own malloc arena, up to 8 per core, and returns
 * little of them: the worker's Temporal core, V8 and libuv threads hold some 40 MB more that way
 * (a 3+100 lab deploy: 315 MB resident, 276 MB with MALLOC_ARENA_MAX=2). glibc reads the limit
 * once, when the process starts, so `hakube worker` runs itself again as a child with it set,
 * unless the operator set it (a systemd unit can, and then the worker is one process). This
 * process stays a bare Node that passes signals on; the child is in its own process group so a
 * terminal's Ctrl-C reaches it once, through here (the SDK takes a second SIGINT as "die now").
 */
function workerCommand(argv) {
  return argv.slice(2).find((a) => !a.startsWith('-')) === 'worker';
}

function relaunchWorker() {
  runAgain(process.execArgv, { MALLOC_ARENA_MAX: '2', HAKUBE_WORKER_SUPERVISED: '1' }, { supervised: true });
}

/**
 * The supervised worker dies with its launcher: a SIGKILL there (an operator's, a fault drill's)
 * must not leave a worker polling that nobody can stop by the pid they know.
 */
function dieWithLauncher() {
  if (!process.channel) return;
  process.channel.unref();
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}

if (process.platform === 'linux' && workerCommand(process.argv) && process.env.MALLOC_ARENA_MAX === undefined) {
  relaunchWorker();
} else if (process.env.HAKUBE_UNDER_TSX) {
  if (process.env.HAKUBE_WORKER_SUPERVISED) dieWithLauncher();
  const cli = fromSources();
  cli.run(process.argv, cli.lab ? [cli.lab] : []);
} else {
  if (process.env.HAKUBE_WORKER_SUPERVISED) dieWithLauncher();
  const cli = process.env.HAKUBE_FROM_SOURCE ? undefined : fromBundle();
  if (cli) cli.run(process.argv, cli.lab ? [cli.lab] : []);
  else relaunchWithTsx();
}
