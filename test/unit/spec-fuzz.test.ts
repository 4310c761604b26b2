/**
 * Random mutations of both example specs fed to the CLI's own entry point (`hakube plan -f`):
 * whatever the bytes, the answer is exit 0 (a valid spec, planned) or 2 (bad input), never a
 * crash (exit 1 or a throw) and never a hang. Bounded and seeded, so it runs in seconds and a
 * failure reproduces (HAKUBE_FC_SEED picks another seed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { main } from '../../src/starter';

const EXAMPLES = ['examples/ha-vip.yaml', 'examples/ha-local-proxy.yaml'].map((p) => readFileSync(p, 'utf8'));
const TOKENS = [
  '', '~', 'null', 'true', '0', '-1', '65536', '1e400', '[]', '{}', '[', '{', '&a x', '*a', '*undefined', '!!binary AAAA', '!!js/function x', '<<: *a', '? x', '|', '>-',
  '"\\u0000"', "'", '"', '#', '---', '...', '%YAML 1.1', '\t', '$(canary)', '`canary`', ';canary', '/', '/*', '..', '0.0.0.0', '10.30.12.249', 'eth0:1', 'x'.repeat(5000),
  '\u00e9\u2028', '\ufeff', '@', '`', 'SHA256:', '10.0.0.0/8', 'vip', 'external', 'stacked', 'control-plane',
];

type Mutation = (lines: string[], rnd: () => number) => string[];
const pick = <T>(xs: readonly T[], rnd: () => number): T => xs[Math.floor(rnd() * xs.length) % xs.length];
const MUTATIONS: Mutation[] = [
  (l, r) => l.filter((_, i) => i !== Math.floor(r() * l.length)),
  (l, r) => { const i = Math.floor(r() * l.length); return [...l.slice(0, i), l[i] ?? '', ...l.slice(i)]; },
  (l, r) => { const a = Math.floor(r() * l.length); const b = Math.floor(r() * l.length); const c = [...l]; [c[a], c[b]] = [c[b], c[a]]; return c; },
  // Replace a mapping value with a token.
  (l, r) => { const i = Math.floor(r() * l.length); const c = [...l]; c[i] = (c[i] ?? '').replace(/:\s.*$/, `: ${pick(TOKENS, r)}`); return c; },
  // Insert a token anywhere in a line.
  (l, r) => { const i = Math.floor(r() * l.length); const c = [...l]; const s = c[i] ?? ''; const at = Math.floor(r() * (s.length + 1)); c[i] = s.slice(0, at) + pick(TOKENS, r) + s.slice(at); return c; },
  // Indentation off by one.
  (l, r) => { const i = Math.floor(r() * l.length); const c = [...l]; c[i] = r() < 0.5 ? ` ${c[i]}` : (c[i] ?? '').replace(/^ /, ''); return c; },
  // A random byte.
  (l, r) => { const i = Math.floor(r() * l.length); const c = [...l]; c[i] = `${c[i] ?? ''}${String.fromCharCode(Math.floor(r() * 256))}`; return c; },
  // Truncate.
  (l, r) => l.slice(0, Math.floor(r() * l.length)),
  // An alias bomb or a second document appended.
  (l, r) => [...l, r() < 0.5 ? '---' : `bomb: &b [${Array(20).fill('"x"').join(',')}]\nboom: [${Array(200).fill('*b').join(',')}]`],
];

const quiet = <T>(fn: () => Promise<T>): Promise<T> => {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const sink = ((_c: unknown, enc?: unknown, cb?: unknown) => {
    const done = typeof enc === 'function' ? enc : cb;
    if (typeof done === 'function') done();
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = sink;
  process.stderr.write = sink;
  return fn().finally(() => {
    process.stdout.write = out;
    process.stderr.write = err;
  });
};

test('mutated examples: hakube plan exits 0 or 2, quickly, never crashes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hakube-fuzz-'));
  const file = join(dir, 'cluster.yaml');
  const seen = { 0: 0, 2: 0 } as Record<number, number>;
  let slowest = 0;
  const samples: string[] = [];
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 1 }), fc.array(fc.tuple(fc.nat(MUTATIONS.length - 1), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 1, maxLength: 4 }), fc.integer(), async (ex, muts, seed) => {
      let state = seed >>> 0 || 1;
      const rnd = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
      let lines = EXAMPLES[ex].split('\n');
      for (const [m] of muts) lines = MUTATIONS[m](lines, rnd);
      const text = lines.join('\n');
      writeFileSync(file, text);
      const t0 = performance.now();
      const code = await quiet(() => main(['node', 'hakube', 'plan', '-f', file]));
      process.exitCode = undefined;
      slowest = Math.max(slowest, performance.now() - t0);
      assert.ok(code === 0 || code === 2, `exit ${code} for:\n${text}`);
      seen[code]++;
      if (samples.length < 4 && code === 2) samples.push(text);
    }),
    { numRuns: 400, seed: Number(process.env.HAKUBE_FC_SEED ?? 2026), endOnFailure: true },
  );
  assert.ok(seen[0] > 0 && seen[2] > 0, `both outcomes should occur: ${JSON.stringify(seen)}`);
  t.diagnostic(`exit 0: ${seen[0]}, exit 2: ${seen[2]}, slowest ${slowest.toFixed(0)} ms`);
  assert.ok(slowest < 3000, `slowest input took ${slowest.toFixed(0)} ms`);
  // The same through a real process: exit code and a stderr without stack traces.
  for (const text of samples) {
    writeFileSync(file, text);
    const r = spawnSync(process.execPath, ['bin/hakube.js', 'plan', '-f', file], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});
