/**
 * The one place the SSH layer meets Temporal: activities rethrow errors through toApplicationFailure
 * so the workflow sees a stable `type` and Temporal stops retrying what cannot succeed.
 */
import { ApplicationFailure } from '@temporalio/common';
import { CommandFailedError, SshError } from './errors';

export function toApplicationFailure(err: unknown): unknown {
  if (!(err instanceof SshError)) return err;
  const details =
    err instanceof CommandFailedError
      ? [{ host: err.host, exitCode: err.exitCode, exitSignal: err.exitSignal, argv: err.argvDisplay, stderrTail: err.stderrTail }]
      : [{ host: err.host }];
  return ApplicationFailure.create({ type: err.type, message: err.message, nonRetryable: !err.retryable, details });
}
