/**
 * The bad-spec corpus (test/fixtures/bad): one file per rule, each saying in its header which
 * field its problem line must start with (`# field:`) or, for a file that is not YAML at all,
 * what the one line must say (`# says:`). Every file must be refused with exit 2 before any
 * host is touched, and the line that names the field must also say how to fix it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../../src/cli/exit';
import { loadSpec } from '../../src/spec/load';
import { MAX_SPEC_BYTES, parseSpec, SpecError } from '../../src/spec/parse';

const DIR = 'test/fixtures/bad';
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

/** Every kind of value and every cross-field rule the issue names has at least one case. */
const KINDS = [
  'host-path', 'host-name', 'node-address', 'interface', 'sysctl', 'extra-args', 'cert-san', 'image', 'ssh-user', 'bastion',
  'fingerprint', 'worker-path', 'subnet', 'vip-subnet', 'port', 'keepalived-priority', 'parse',
];
const FIX = /;|, e\.g\.|\buse\b|\bwrite\b|\bgive\b|\bremove\b|\bpick\b|\bpass\b/;

function header(text: string, key: string): string | undefined {
  return new RegExp(`^# ${key}: (.*)$`, 'm').exec(text)?.[1];
}

function problemsOf(text: string, file: string): string[] {
  try {
    parseSpec(text, file);
  } catch (err) {
    assert.ok(err instanceof SpecError, `${file}: threw ${String(err)} instead of a SpecError`);
    return err.problems;
  }
  assert.fail(`${file} was accepted`);
}

test('the corpus has at least 80 bad specs and covers every rule kind', () => {
  assert.ok(files.length >= 80, `only ${files.length} files`);
  const kinds = new Set(files.map((f) => header(readFileSync(join(DIR, f), 'utf8'), 'kind')));
  assert.deepEqual(KINDS.filter((k) => !kinds.has(k)), []);
});

for (const f of files) {
  test(`bad spec ${f}`, () => {
    const path = join(DIR, f);
    const text = readFileSync(path, 'utf8');
    const field = header(text, 'field');
    const says = header(text, 'says');
    assert.ok(field ?? says, `${f} has no "# field:" or "# says:" header`);
    assert.throws(() => loadSpec(path), (err: unknown) => err instanceof CliError && err.exitCode === 2);
    const problems = problemsOf(text, path);
    const hit = field ? problems.find((p) => p.startsWith(field)) : problems.find((p) => p.includes(says as string));
    assert.ok(hit, `no problem ${field ? `naming ${field}` : `saying "${says}"`} in:\n${problems.join('\n')}`);
    assert.match(hit, FIX, `the problem does not say how to fix it: ${hit}`);
  });
}

/** Files that cannot live in the repo as they are: made here. */
function hostileFiles(): Record<string, Buffer> {
  const example = readFileSync('examples/ha-vip.yaml');
  return {
    binary: Buffer.concat([example.subarray(0, 200), Buffer.from([0, 1, 2, 0xff, 0xfe, 0]), example.subarray(200)]),
    oversized: Buffer.concat([example, Buffer.from(`# ${'x'.repeat(MAX_SPEC_BYTES)}\n`)]),
    'alias-bomb': readFileSync(join(DIR, 'parse-alias-bomb.yaml')),
    'multiple-documents': readFileSync(join(DIR, 'parse-multiple-documents.yaml')),
    'deep-nesting': Buffer.from(`${'['.repeat(200_000)}${']'.repeat(200_000)}\n`),
  };
}

test('through the CLI, a file that is not one YAML spec exits 2 with one line and no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hakube-bad-'));
  for (const [name, bytes] of Object.entries(hostileFiles())) {
    const path = join(dir, `${name}.yaml`);
    writeFileSync(path, bytes);
    const started = Date.now();
    const r = spawnSync(process.execPath, ['bin/hakube.js', 'plan', '-f', path], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, `${name}: exit ${r.status}, stderr: ${r.stderr}`);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `${name}: more than one line:\n${r.stderr}`);
    assert.match(lines[0], new RegExp(`^hakube: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.doesNotMatch(r.stderr, /\n\s+at |Error:/, `${name}: looks like a stack trace`);
    assert.equal(r.stdout, '');
    assert.ok(Date.now() - started < 20_000, `${name}: took ${Date.now() - started} ms`);
  }
});
