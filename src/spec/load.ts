/**
 * Reads cluster.yaml from disk. The only file in src/spec that touches the file system:
 * workflow code imports parse.ts and the planner, never this.
 */
import { readFileSync } from 'node:fs';
import { CliError, EXIT } from '../cli/exit';
import { parseSpec, SpecError } from './parse';
import type { Cluster } from './types';

/** Parse and validate a spec file; any problem becomes a CliError with exit code 2 listing them all. */
export function loadSpec(path: string): Cluster {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : code === 'EACCES' ? 'permission denied' : String(err);
    throw new CliError(`${path}: ${why}; pass the cluster spec with -f (see examples/)`, EXIT.BAD_INPUT);
  }
  try {
    return parseSpec(text, path);
  } catch (err) {
    if (err instanceof SpecError) throw new CliError(err.message, EXIT.BAD_INPUT);
    throw err;
  }
}
