/**
 * cluster.yaml text -> validated Cluster, or every problem at once. Problems carry the YAML
 * line they point at. Pure (no fs): loading a file is load.ts's job.
 */
import { isNode, LineCounter, parseAllDocuments, parseDocument, type Document } from 'yaml';
import { checkCluster, formatProblem } from './check';
import type { Cluster } from './types';
import type { PathSegment } from './validate';

export { formatPath } from './check';

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

