/**
 * Turns whatever a step threw into the ApplicationFailure the workflow reads: the SSH layer's
 * type and retryability, plus which step failed and its masked output tail.
 */
import { ApplicationFailure } from '@temporalio/common';
import { toApplicationFailure } from '../ssh/failure';
import type { StepFailureDetails } from './types';
import { scrubSecrets } from './tail';

export function stepFailure(err: unknown, details: StepFailureDetails): ApplicationFailure {
  const mapped = toApplicationFailure(err);
  if (mapped instanceof ApplicationFailure) {
    return ApplicationFailure.create({ type: mapped.type ?? undefined, message: scrubSecrets(mapped.message), nonRetryable: mapped.nonRetryable ?? false, details: [details] });
  }
  const e = mapped instanceof Error ? mapped : new Error(String(mapped));
  return ApplicationFailure.create({ type: e.name, message: scrubSecrets(e.message), details: [details] });
}

/** A failure a retry cannot fix: the host or spec is not as the plan expects. */
export function precondition(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'PreconditionUnmet', message, nonRetryable: true });
}
