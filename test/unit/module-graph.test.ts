/**
 * The product without the lab: every module the worker and the non-lab commands can reach
 * (static imports and the import() calls commands make when they run, as esbuild resolves
 * them) stays out of lab/, so the worker image, which has no lab/, starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { PROJECT_ROOT as ROOT } from '../../src/temporal/paths';

function reached(entryPoints: string[]): string[] {
  const r = buildSync({
    entryPoints,
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    packages: 'external',
    outdir: path.join(ROOT, 'dist', 'graph-check'),
    logLevel: 'silent',
  });
  return Object.keys(r.metafile.inputs);
}

test('the worker, its activities and workflows, and every product command never reach lab/', () => {
  const inputs = reached(['src/worker.ts', 'src/activities/index.ts', 'src/workflows/index.ts', 'src/starter.ts']);
  assert.deepEqual(inputs.filter((f) => f.startsWith('lab/')), []);
  // The graph includes what commands import when they run, so the check covers them.
  for (const f of ['src/cli/worker.ts', 'src/worker.ts', 'src/client/deploy.ts', 'src/temporal/connection.ts', 'src/spec/load.ts']) {
    assert.ok(inputs.includes(f), `${f} is in the graph`);
  }
});

test('the graph check sees the lab where it is used: the launcher adds lab/cli.ts and its modules', () => {
  const inputs = reached(['lab/cli.ts']);
  for (const f of ['lab/lifecycle.ts', 'lab/faults/index.ts', 'lab/sim/faults.ts']) assert.ok(inputs.includes(f), `${f} reached from lab/cli.ts`);
});

test('src/ names no lab path and loads no module by a computed name', () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      if (e.isDirectory()) walk(`${dir}/${e.name}`);
      else if (e.name.endsWith('.ts')) files.push(`${dir}/${e.name}`);
    }
  };
  walk('src');
  for (const f of files) {
    const code = fs.readFileSync(path.join(ROOT, f), 'utf8');
    assert.doesNotMatch(code, /['"`](\.\.\/)+lab\b|join\([^)]*['"]lab['"]/, `${f} names a lab path`);
    assert.doesNotMatch(code, /\brequire\((?!['"])|\bimport\((?!['"])/, `${f} loads a module by a computed name`);
  }
});
