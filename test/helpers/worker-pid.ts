/**
 * The pid that runs a `hakube worker` spawned as `node bin/hakube.js worker`: on Linux the
 * launcher runs the worker as its child (MALLOC_ARENA_MAX), and that child's pid is in the
 * worker's identity and holds its memory.
 */
import { readFileSync } from 'node:fs';

export function workerPidOf(launcher: number): number {
  let kids: number[] = [];
  try {
    kids = readFileSync(`/proc/${launcher}/task/${launcher}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // No /proc: the launcher is the worker.
  }
  return kids[0] ?? launcher;
}
