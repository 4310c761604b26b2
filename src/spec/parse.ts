/**
 * cluster.yaml text -> validated Cluster, or every problem at once. Problems carry the YAML
 * line they point at. Pure (no fs): loading a file is load.ts's job.
 */
import { isNode, LineCounter, parseDocument } from 'yaml';
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
    super(`${source} is not a valid cluster spec (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'SpecError';
  }
}

export function formatPath(path: readonly PathSegment[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

export function parseSpec(text: string, source = 'cluster.yaml'): Cluster {
  if (text.trim() === '') throw new SpecError(source, [`${source}: the file is empty; start from examples/ha-vip.yaml or run \`hakube schema\``]);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) {
    throw new SpecError(
      source,
      doc.errors.map((e) => `${source}:${lines.linePos(e.pos[0]).line}: YAML syntax error: ${e.message.split('\n')[0]}`),
    );
  }
  const data: unknown = doc.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new SpecError(source, [`${source}: expected a mapping with apiVersion, kind, metadata and spec; found ${data === null ? 'nothing' : Array.isArray(data) ? 'a list' : typeof data}`]);
  }
  const lineOf = (path: readonly PathSegment[]): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const fmt = (p: Problem) => {
    const where = lineOf(p.path);
    const value = p.value === undefined ? '' : `${JSON.stringify(p.value)} `;
    return `${formatPath(p.path) || '(top level)'}: ${value}${p.message}${where ? ` (${source}:${where})` : ''}`;
  };

  const parsed = ClusterSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) throw new SpecError(source, parsed.error.issues.flatMap(issueProblems).map(fmt));
  const cluster = resolveDefaults(parsed.data);
  const problems = validateCluster(cluster);
  if (problems.length) throw new SpecError(source, problems.map(fmt));
  return cluster;
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
    return [{ path, message: `is required (${issue.expected})` }];
  }
  if (issue.code === 'invalid_type') {
    return [{ path, value: issue.input, message: `must be ${issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}` }];
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
