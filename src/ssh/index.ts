/**
 * The SSH layer: pooled, host-key-verified connections that run plan steps on hosts.
 *
 * Typical activity use:
 *   const conn = await pool.get(target);            // one connection per host, reused
 *   const r = await executeStep(conn, step, runtime, { signal, onProgress: (p) => heartbeat(p) });
 *   ...catch (err) { throw toApplicationFailure(err); }
 *
 * Commands are argv vectors; every word is single-quoted for the remote POSIX shell, so no word is
 * ever interpreted. `{{name}}` placeholders are filled from `runtime` after masking is armed:
 * every runtime value shows as `***` in tails, errors and logs.
 */
export * from './errors';
export { toApplicationFailure } from './failure';
export { SshPool } from './pool';
export { SshConnection, type RunOptions, type RunResult, type OutputStream } from './connection';
export { executeStep, detachedKey, type StepHooks, type StepProgress, type StepResult } from './step';
export { runDetached, stopDetached, detachedDir, detachedName, type DetachedOptions } from './detached';
export { fingerprintSha256, knownHostName } from './hostkeys';
export { shellQuote, commandLine } from './quote';
export { MASK } from './mask';
export type { SshTarget, SshBastion, SshOptions, SshLogger } from './target';
