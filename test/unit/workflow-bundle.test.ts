import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleKey } from '../../src/temporal/workflow-bundle';

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
