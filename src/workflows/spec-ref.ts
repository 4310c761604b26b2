/**
 * The one place a workflow decides how its spec travels to activities and children. Runs
 * recorded before SpecRef carry the whole spec in every input (history O(N²) in the host
 * count); new runs send a SpecRef, and the worker reads the spec once through the `spec` query
 * of the workflow that holds it (src/activities/spec-source.ts), so every input is O(1).
 */
import { defineQuery, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ActionRef } from '../plan/actions';
import { specFingerprint } from '../spec/fingerprint';
import type { SpecArg, SpecInput, SpecRef, WireAction } from '../activities/types';

export const SPEC_REF_PATCH = 'hakube-spec-ref';

/** The spec (or the previous spec of an apply) whose JSON has this fingerprint. */
export const specQuery = defineQuery<SpecInput | undefined, [fingerprint: string]>('spec');

/** Held by the workflow that owns the spec: answers the query and makes each input's SpecArg. */
export class SpecStore {
  private readonly held = new Map<string, SpecInput>();
  /** The fingerprint of each spec object already sent: hashing is O(N), sending happens ~8N times. */
  private readonly sent = new Map<SpecInput, SpecRef>();
  private byRef?: boolean;

  constructor() {
    setHandler(specQuery, (fp: string) => this.held.get(fp));
  }

  /** `{ spec }` in runs recorded before SpecRef, else `{ specRef }` to a version this workflow holds. */
  arg(spec: SpecInput): SpecArg {
    this.byRef ??= patched(SPEC_REF_PATCH);
    if (!this.byRef) return { spec };
    return { specRef: this.refOf(spec) };
  }

  /** The action as it travels: apply's previous spec by reference too. */
  action(action: ActionRef): WireAction {
    this.byRef ??= patched(SPEC_REF_PATCH);
    if (!this.byRef || action.action !== 'apply') return action;
    return { action: 'apply', previousRef: this.refOf(action.previous) };
  }

  private refOf(spec: SpecInput): SpecRef {
    let ref = this.sent.get(spec);
    if (!ref) {
      const fp = specFingerprint(spec);
      this.held.set(fp, spec);
      const info = workflowInfo();
      ref = { workflowId: info.workflowId, runId: info.runId, fingerprint: fp };
      this.sent.set(spec, ref);
    }
    return ref;
  }
}

/** A child's pass-through: whatever the parent sent (a spec or a SpecRef) goes on as it came. */
export function passOn(input: SpecArg): SpecArg {
  return input.specRef ? { specRef: input.specRef } : { spec: input.spec as SpecInput };
}
