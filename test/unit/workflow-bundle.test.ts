import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleKey, cachedWorkflowBundle } from '../../src/temporal/workflow-bundle';
import { PROJECT_ROOT } from '../../src/temporal/paths';

test("the cached workflow bundle's key follows the sources' contents and the lock file, not their times", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hakube-bundle-'));
  try {
    fs.mkdirSync(path.join(root, 'src/workflows'), { recursive: true });
    fs.writeFileSync(path.join(root, 'src/workflows/index.ts'), 'export {};\n');
    fs.writeFileSync(path.join(root, 'package-lock.json'), '{}');
    const first = bundleKey(root, path.join(root, 'src'));
    fs.utimesSync(path.join(root, 'src/workflows/index.ts'), new Date(0), new Date(0));
    assert.equal(bundleKey(root, path.join(root, 'src')), first, 'a touched file is the same source');
    fs.writeFileSync(path.join(root, 'src/workflows/index.ts'), 'export const x = 1;\n');
    const edited = bundleKey(root, path.join(root, 'src'));
    assert.notEqual(edited, first);
    fs.writeFileSync(path.join(root, 'package-lock.json'), '{"v":2}');
    assert.notEqual(bundleKey(root, path.join(root, 'src')), edited, 'another SDK version is another bundle');
    fs.writeFileSync(path.join(root, 'src/new.ts'), '');
    assert.notEqual(bundleKey(root, path.join(root, 'src')), edited);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('the bundle is built in a thread of its own and cached; a broken workflow file is reported, not cached', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hakube-bundle-'));
  const silent = { trace() {}, debug() {}, info() {}, log() {}, warn() {}, error() {} };
  try {
    const workflowsPath = path.join(root, 'src/workflows/index.ts');
    fs.mkdirSync(path.dirname(workflowsPath), { recursive: true });
    // The bundle includes the SDK's workflow runtime, resolved from the sources' folder up.
    fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'));
    fs.writeFileSync(workflowsPath, 'export async function hakubeBundleProbe(): Promise<string> {\n  return "probe";\n}\n');
    const { codePath } = await cachedWorkflowBundle({ root, workflowsPath, logger: silent });
    assert.match(fs.readFileSync(codePath, 'utf8'), /hakubeBundleProbe/);
    const again = await cachedWorkflowBundle({ root, workflowsPath, logger: silent });
    assert.equal(again.codePath, codePath);

    fs.writeFileSync(workflowsPath, 'export async function broken(: {\n');
    await assert.rejects(cachedWorkflowBundle({ root, workflowsPath, logger: silent }), /bundling .*index\.ts failed/);
    assert.deepEqual(fs.readdirSync(path.join(root, 'dist')).filter((f) => f.endsWith('.tmp')), []);
    assert.equal(fs.readdirSync(path.join(root, 'dist')).filter((f) => f.endsWith('.js')).length, 1, 'only the good bundle is cached');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
