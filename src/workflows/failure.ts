/** Reads what a failed activity or child reported, for the progress record and the operator. */
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, TemporalFailure } from '@temporalio/workflow';
import type { StepFailureDetails } from '../activities/types';

export interface FailureInfo {
  message: string;
  details?: StepFailureDetails;
}

export function describeFailure(err: unknown): FailureInfo {
  let e: unknown = err;
  // Unwrap ActivityFailure / ChildWorkflowFailure down to the application error that explains it.
  while ((e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure) {
    const d = e.details?.[0] as StepFailureDetails | undefined;
    const type = e.type ? `${e.type}: ` : '';
    return { message: `${type}${e.message}`, details: d && typeof d.stepId === 'string' ? d : undefined };
  }
  if (e instanceof TemporalFailure || e instanceof Error) return { message: e.message };
  return { message: String(e) };
}
