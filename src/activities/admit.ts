/**
 * The gate every activity passes before it plans or dials a host: its spec meets the same rules
 * a spec file does (an activity can be scheduled by anyone who reaches the task queue), and the
 * files the worker reads for it (SSH key, known_hosts) lie in a directory the worker allows.
 * Either failure is SpecInvalid, which no retry fixes.
 */
import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, relative, resolve } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { specProblems } from '../spec/check';
import type { Cluster } from '../spec/types';

const KEEP = 8;
const admittedKeys = new Set<string>();
// A spec read through its SpecRef is one object for every activity of the run: judged once, not
// re-serialised per call (JSON of a 5,000-host spec is ~1 MB, and a run makes ~8 calls per host).
const admittedObjects = new WeakSet<Cluster>();

/**
 * Where spec-named SSH files may be: HAKUBE_SSH_DIRS (colon-separated) when set, else the
 * worker's working directory and ~/.ssh. A path is judged after symlinks are resolved.
 */
export function allowedSshDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs = env.HAKUBE_SSH_DIRS ? env.HAKUBE_SSH_DIRS.split(':').filter(Boolean) : [process.cwd(), resolve(homedir(), '.ssh')];
  return dirs.map((d) => real(resolve(d)));
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function inside(dir: string, p: string): boolean {
  const rel = relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export function workerPathProblems(spec: Cluster, dirs: string[] = allowedSshDirs()): string[] {
  const ssh = spec.spec?.ssh ?? {};
  const out: string[] = [];
  for (const field of ['privateKeyPath', 'knownHostsPath'] as const) {
    const p = ssh[field];
    if (p === undefined) continue;
    const full = real(resolve(p));
    if (!dirs.some((d) => inside(d, full))) {
      out.push(`spec.ssh.${field}: ${JSON.stringify(p)} is outside the directories this worker reads SSH files from (${dirs.join(', ')}); move the file there or start the worker with HAKUBE_SSH_DIRS including its directory`);
    }
  }
  return out;
}

/** Returns the spec when it may be acted on; throws SpecInvalid (non-retryable) otherwise. */
export function admit(spec: Cluster): Cluster {
  if (admittedObjects.has(spec)) return spec;
  const key = JSON.stringify(spec);
  if (admittedKeys.has(key)) return spec;
  const invalid = specProblems(spec);
  const problems = invalid.length ? invalid : workerPathProblems(spec);
  if (problems.length) {
    throw ApplicationFailure.create({ type: 'SpecInvalid', nonRetryable: true, message: `the spec is not valid: ${problems.join('; ')}` });
  }
  if (admittedKeys.size >= KEEP) admittedKeys.delete(admittedKeys.values().next().value as string);
  admittedKeys.add(key);
  admittedObjects.add(spec);
  return spec;
}
