import { fingerprint } from '../render/hash';
import type { Cluster } from './types';

/**
 * Names one version of a spec (SpecRef): the workflow that holds it and the worker that reads it
 * compute it alike, over the JSON both see. Two FNV-1a passes (the text, and the text salted with
 * its length) keep two versions held by one run from meeting by accident; it is an identity for
 * caching and a check of what was read, not a defence (whoever reaches the task queue can send
 * any spec inline, and every spec is admitted before use).
 */
export function specFingerprint(spec: Cluster): string {
  const json = JSON.stringify(spec);
  return `${fingerprint(json)}${fingerprint(`${json.length}:${json}`)}`;
}
