/**
 * The worker's side of SpecRef: an input that names its spec by reference gets it from the
 * workflow holding it (its `spec` query), once per worker and version; concurrent activities of
 * one run share the one read. What comes back must have the fingerprint the reference names.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActionRef } from '../plan/actions';
import { specFingerprint } from '../spec/fingerprint';
import type { SpecArg, SpecInput, SpecRef, WireAction } from './types';

/** Reads the spec a reference names; by default the query of the workflow that holds it. */
export type SpecFetcher = (ref: SpecRef) => Promise<SpecInput | undefined>;

export const querySpec: SpecFetcher = (ref) => Context.current().client.workflow.getHandle(ref.workflowId, ref.runId).query<SpecInput | undefined, [string]>('spec', ref.fingerprint);

const KEEP = 8;

export class SpecSource {
  private readonly specs = new Map<string, Promise<SpecInput>>();

  constructor(private readonly fetch: SpecFetcher = querySpec) {}

  async spec(arg: SpecArg): Promise<SpecInput> {
    if (arg.spec) return arg.spec;
    const ref = arg.specRef as SpecRef;
    const key = `${ref.workflowId}/${ref.runId}/${ref.fingerprint}`;
    let got = this.specs.get(key);
    if (!got) {
      got = this.read(ref);
      if (this.specs.size >= KEEP) this.specs.delete(this.specs.keys().next().value as string);
      this.specs.set(key, got);
      // A failed read is not kept: the next attempt asks again.
      got.catch(() => this.specs.delete(key));
    }
    return got;
  }

  async action(a: WireAction | undefined): Promise<ActionRef | undefined> {
    if (!a || !('previousRef' in a)) return a;
    return { action: 'apply', previous: await this.spec({ specRef: a.previousRef }) };
  }

  /** `input` with its spec (and apply's previous spec) in place. */
  async resolve<T extends { spec?: SpecInput; specRef?: SpecRef; action?: WireAction }>(input: T): Promise<Omit<T, 'spec' | 'specRef' | 'action'> & { spec: SpecInput; action?: ActionRef }> {
    const { spec: _spec, specRef: _ref, action, ...rest } = input;
    const spec = await this.spec(input as SpecArg);
    const resolved = await this.action(action);
    return { ...rest, spec, ...(resolved ? { action: resolved } : {}) };
  }

  private async read(ref: SpecRef): Promise<SpecInput> {
    const spec = await this.fetch(ref);
    if (!spec) {
      throw ApplicationFailure.create({ type: 'SpecUnavailable', message: `workflow ${ref.workflowId} holds no spec with fingerprint ${ref.fingerprint}` });
    }
    const fp = specFingerprint(spec);
    if (fp !== ref.fingerprint) {
      throw ApplicationFailure.create({ type: 'SpecInvalid', nonRetryable: true, message: `workflow ${ref.workflowId} answered a spec with fingerprint ${fp}, not ${ref.fingerprint}` });
    }
    return spec;
  }
}
