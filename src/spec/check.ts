/**
 * The schema and every cross-field rule over an already-parsed value, with problems worded for
 * the operator. parseSpec runs it on a file; the workflow and the activities run it on the spec
 * they were given, so a run started straight on the task queue is held to the same rules.
 * Pure (no fs, no YAML): workflow code imports it.
 */
import type { z } from 'zod';
import { ClusterSchema } from './schema';
import { resolveDefaults, type Cluster } from './types';
import { validateCluster, type PathSegment, type Problem } from './validate';

/** `spec.hosts[0].name`; a key that is not a plain word is quoted: `sysctls["net.ipv4.ip_forward"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  return path
    .map((s, i) => (typeof s === 'number' ? `[${s}]` : !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s) ? `[${JSON.stringify(s)}]` : i === 0 ? s : `.${s}`))
    .join('');
}

export function formatProblem(p: Problem): string {
  const value = p.value === undefined ? '' : `${JSON.stringify(p.value)} `;
  return `${formatPath(p.path) || '(top level)'}: ${value}${p.message}`;
}

export type CheckResult = { ok: true; cluster: Cluster } | { ok: false; problems: string[] };

/** A valid, defaulted Cluster passes unchanged (defaults are idempotent). */
export function checkCluster(data: unknown, fmt: (p: Problem) => string = formatProblem): CheckResult {
  const parsed = ClusterSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.flatMap(issueProblems).map(fmt) };
  const cluster = resolveDefaults(parsed.data);
  const problems = validateCluster(cluster);
  if (problems.length) return { ok: false, problems: problems.map(fmt) };
  return { ok: true, cluster };
}


/** Every problem of a spec given as a value (not a file), one line each; empty when it is valid. */
export function specProblems(spec: unknown): string[] {
  const r = checkCluster(spec);
  return r.ok ? [] : r.problems;
}

type Issue = z.core.$ZodIssue & { input?: unknown };

function issueProblems(issue: Issue): Problem[] {
  const path = issue.path as PathSegment[];
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(path);
    return issue.keys.map((k) => {
      const near = closest(k, known);
      return { path: [...path, k], message: `is not a known key${near ? `; did you mean "${near}"?` : known.length ? `; known keys: ${known.join(', ')}` : ''}` };
    });
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return [{ path, message: `is required (${issue.expected}); add it (\`hakube schema\` lists every field)` }];
  }
  if (issue.code === 'invalid_type') {
    const fix = issue.expected === 'string' ? '; quote it, e.g. "1"' : issue.expected === 'number' ? '; write a number without quotes' : '';
    return [{ path, value: issue.input, message: `must be ${issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}${fix}` }];
  }
  // zod's own wording for bounds that have no message of ours.
  if (issue.code === 'too_big' && issue.origin === 'number' && /^Too big/.test(issue.message)) {
    return [{ path, value: issue.input, message: `is above ${issue.maximum}; use at most ${issue.maximum}` }];
  }
  if (issue.code === 'too_small' && issue.origin === 'number' && /^Too small/.test(issue.message)) {
    return [{ path, value: issue.input, message: `is below ${issue.minimum}; use at least ${issue.minimum}` }];
  }
  if (issue.code === 'invalid_key') {
    // A record key that fails its own grammar: the key's rule says why.
    const inner = issue.issues[0]?.message;
    return [{ path, value: issue.input, message: inner ? `(key) ${inner}` : 'is not a valid key' }];
  }
  return [{ path, value: issue.input, message: issue.message }];
}

/** The keys the schema allows at an object path, for "did you mean" hints. */
function knownKeys(path: readonly PathSegment[]): string[] {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let s: any = ClusterSchema;
  const unwrap = () => {
    while (s?.def?.innerType) s = s.def.innerType;
  };
  for (const seg of path) {
    unwrap();
    s = typeof seg === 'number' ? s?.element : s?.shape?.[seg];
  }
  unwrap();
  return s?.shape ? Object.keys(s.shape) : [];
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
