/**
 * Reads cluster.yaml from disk. The only file in src/spec that touches the file system:
 * workflow code imports parse.ts and the planner, never this.
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { CliError, EXIT } from '../exit';
import { MAX_SPEC_BYTES, parseSpec, SpecError } from './parse';
import type { Cluster } from './types';

/** Parse and validate a spec file; any problem becomes a CliError with exit code 2 listing them all. */
export function loadSpec(path: string): Cluster {
  let text: string;
  try {
    // Size and kind first: /dev/zero or a multi-GB file must be refused, not read.
    const fd = openSync(path, 'r');
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new CliError(`${path}: is not a regular file; pass the cluster spec with -f (see examples/)`, EXIT.BAD_INPUT);
      if (st.size > MAX_SPEC_BYTES) throw new CliError(`${path}: is larger than ${MAX_SPEC_BYTES / 1024} KiB; a cluster spec is a short YAML file (see examples/)`, EXIT.BAD_INPUT);
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
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
