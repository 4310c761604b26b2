/** The SSH layer: pooled, host-key-verified connections that run plan steps on hosts. */
export * from './errors';
export { toApplicationFailure } from './failure';
export { SshPool } from './pool';
export { SshConnection, type RunOptions, type RunResult, type OutputStream } from './connection';
export { executeStep, type StepHooks, type StepProgress, type StepResult } from './step';
export { fingerprintSha256, knownHostName } from './hostkeys';
export { shellQuote, commandLine } from './quote';
export { MASK } from './mask';
export type { SshTarget, SshBastion, SshOptions, SshLogger } from './target';
