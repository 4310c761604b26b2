/**
 * cluster.yaml text -> validated Cluster, or every problem at once. Problems carry the YAML
 * line they point at. Pure (no fs): loading a file is load.ts's job.
 */
import { isNode, LineCounter, parseAllDocuments, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ClusterSchema } from './schema';
import { resolveDefaults, type Cluster } from './types';
import { validateCluster, type PathSegment, type Problem } from './validate';

/** All problems of one spec, one formatted line each. */
export class SpecError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    // One problem is one line (a file-level one already names the file); several get a header.
    super(
      problems.length === 1
        ? problems[0].startsWith(`${source}:`) ? problems[0] : `${source}: ${problems[0]}`
        : `${source} is not a valid cluster spec (${problems.length} problems):\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
    this.name = 'SpecError';
  }
}

/** `spec.hosts[0].name`; a key that is not a plain word is quoted: `sysctls["net.ipv4.ip_forward"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  return path
    .map((s, i) => (typeof s === 'number' ? `[${s}]` : !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s) ? `[${JSON.stringify(s)}]` : i === 0 ? s : `.${s}`))
    .join('');
}

/** A cluster.yaml is a few KiB; anything this large is a mistake (or an attack), not a spec. */
export const MAX_SPEC_BYTES = 1024 * 1024;
/** Aliases a spec may use: enough for any hand-written anchor reuse, far too few for a "billion laughs". */
const MAX_ALIASES = 100;

/** One problem with the text as a whole: it becomes a one-line SpecError. */
function textProblem(text: string, source: string): string | undefined {
  if (text.length > MAX_SPEC_BYTES) return `${source}: is larger than ${MAX_SPEC_BYTES / 1024} KiB; a cluster spec is a short YAML file (see examples/)`;
  if (text.trim() === '') return `${source}: the file is empty; start from examples/ha-vip.yaml or run \`hakube schema\``;
  // YAML text has no NUL and no C0/C1 controls but tab, CR and LF: this is a binary file.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this detects
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]/.test(text)) return `${source}: is binary, not YAML text; pass the cluster spec (see examples/)`;
  return undefined;
}

export function parseSpec(text: string, source = 'cluster.yaml'): Cluster {
  const bad = textProblem(text, source);
  if (bad) throw new SpecError(source, [bad]);
  const lines = new LineCounter();
  let doc: Document.Parsed;
  let data: unknown;
  try {
    const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const all = Array.isArray(docs) ? docs : [];
    if (all.length > 1) {
      throw new SpecError(source, [`${source}:${lines.linePos(all[1].range[0]).line}: holds ${all.length} YAML documents; a cluster spec is one document (remove the extra ---)`]);
    }
    doc = all[0] ?? parseDocument(text, { lineCounter: lines, prettyErrors: false });
    if (doc.errors.length) {
      throw new SpecError(
        source,
        doc.errors.map((e) => `${source}:${lines.linePos(e.pos[0]).line}: YAML syntax error: ${e.message.split('\n')[0].replace(/\.$/, '')}; correct the YAML on that line`),
      );
    }
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    if (err instanceof SpecError) throw err;
    // The yaml library's guard against alias bombs, or a stack overflow on absurd nesting.
    const why = /alias/i.test((err as Error).message) ? `expands YAML aliases too often (more than ${MAX_ALIASES}); write the values out` : `cannot be read as YAML: ${String((err as Error).message).split('\n')[0]}`;
    throw new SpecError(source, [`${source}: ${why}`]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new SpecError(source, [`${source}: expected a mapping with apiVersion, kind, metadata and spec; found ${data === null ? 'nothing' : Array.isArray(data) ? 'a list' : typeof data}`]);
  }
  const parsedDoc = doc;
  const lineOf = (path: readonly PathSegment[]): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = parsedDoc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const result = checkCluster(data, (p) => {
    const where = lineOf(p.path);
    return `${formatProblem(p)}${where ? ` (${source}:${where})` : ''}`;
  });
  if (!result.ok) throw new SpecError(source, result.problems);
  return result.cluster;
}

export function formatProblem(p: Problem): string {
  const value = p.value === undefined ? '' : `${JSON.stringify(p.value)} `;
  return `${formatPath(p.path) || '(top level)'}: ${value}${p.message}`;
}

export type CheckResult = { ok: true; cluster: Cluster } | { ok: false; problems: string[] };

/**
 * The schema and every cross-field rule over an already-parsed value: what parseSpec runs on a
 * file, and what the workflow and the activities run on their raw input (a spec that came over
 * the task queue, not from a file). A valid, defaulted Cluster passes unchanged.
 */
export function checkCluster(data: unknown, fmt: (p: Problem) => string = formatProblem): CheckResult {
  const parsed = ClusterSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.flatMap(issueProblems).map(fmt) };
  const cluster = resolveDefaults(parsed.data);
  const problems = validateCluster(cluster);
  if (problems.length) return { ok: false, problems: problems.map(fmt) };
  return { ok: true, cluster };
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
