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
 * Runs this launcher again under `node --import tsx` (tsx's CJS and ESM hooks: the CLI loads
 * its commands with import()), passing signals on and exiting with the child's code.
 */
function relaunchWithTsx() {
  const { spawn } = require('node:child_process');
  // tsx by file URL: --import resolves a bare name from the current directory, not from here.
  const tsx = require('node:url').pathToFileURL(require.resolve('tsx')).href;
  const child = spawn(process.execPath, ['--import', tsx, __filename, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, HAKUBE_UNDER_TSX: '1' },
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + require('node:os').constants.signals[signal] : 1)));
}

if (process.env.HAKUBE_UNDER_TSX) {
  const cli = fromSources();
  cli.run(process.argv, cli.lab ? [cli.lab] : []);
} else {
  const cli = process.env.HAKUBE_FROM_SOURCE ? undefined : fromBundle();
  if (cli) cli.run(process.argv, cli.lab ? [cli.lab] : []);
  else relaunchWithTsx();
}
