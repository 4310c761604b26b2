/**
 * hostGroup: one group of a large phase's hosts (see GROUP_HOSTS), so that no single history
 * holds every host of a 5,000-host run: the parent starts a few groups instead of thousands of
 * activities or children. A group runs its hosts exactly as the parent would (runHostPhase per
 * host, or a join child per host under the same workflow ids) and hands back one outcome per
 * host without output tails: tails stay in the group's own history, out of the parent's state.
 */
import { executeChild, patched } from '@temporalio/workflow';
import type { PhaseName } from '../plan/types';
import type { HostPhaseResult, RuntimeSecrets, SpecArg, StepFailureDetails, WireAction } from '../activities/types';
import type { HealthReport } from './defs';
import { describeFailure } from './failure';
import { joinHost, joinMaster, joinWorker, type JoinInput, type JoinOutcome } from './join';
import { activitiesFor, type DeployOptions } from './proxies';
import { pool } from './runner';
import { passOn } from './spec-ref';
import { HAKUBE_CLUSTER, HAKUBE_PHASE } from './defs';

/** Phases with more hosts than this run in groups of at most this many. */
export const GROUP_HOSTS = 200;
export const GROUPS_PATCH = 'hakube-host-groups';
/**
 * A group joins its hosts itself (the join activity, then the compensation on failure) instead
 * of starting a child per host: 4,997 join children at once were more than a dev server on
 * SQLite could start ("context deadline exceeded"), and the group already gives the hosts a
 * history of their own.
 */
export const INLINE_JOINS_PATCH = 'hakube-group-inline-joins';

export type HostGroupInput = SpecArg & {
  cluster: string;
  phase: PhaseName;
  /** Join children per host (child phases), else one runHostPhase activity per host. */
  child?: 'joinMaster' | 'joinWorker';
  hosts: string[];
  /** The Web UI line of each host's run, computed by the parent from the plan. */
  summaries: string[];
  concurrency: number;
  attempt: number;
  runtime?: RuntimeSecrets;
  action?: WireAction;
  options?: DeployOptions;
  /** The run's workflow id: join children keep the ids they have without groups. */
  parentId: string;
};

export interface GroupHostOutcome {
  host: string;
  ok: boolean;
  result?: HostPhaseResult;
  error?: string;
  details?: StepFailureDetails;
  compensated?: boolean;
  undoError?: string;
  health?: HealthReport;
}

const CHILDREN = { joinMaster, joinWorker } as const;

function withoutTails(r: HostPhaseResult): HostPhaseResult {
  return { ...r, steps: r.steps.map((s) => ({ ...s, tail: '' })) };
}

/** A join child under the workflow id it has without groups (runs recorded before inline joins). */
async function joinChild(input: HostGroupInput, child: 'joinMaster' | 'joinWorker', args: JoinInput): Promise<JoinOutcome> {
  const role = child === 'joinMaster' ? 'master' : 'worker';
  try {
    return await executeChild(CHILDREN[child], {
      workflowId: `${input.parentId}/join-${role}/${args.host}/${input.attempt}`,
      args: [args],
      typedSearchAttributes: [
        { key: HAKUBE_CLUSTER, value: input.cluster },
        { key: HAKUBE_PHASE, value: input.phase },
      ],
      staticSummary: `${input.phase} ${args.host} (attempt ${input.attempt})`,
    });
  } catch (err) {
    return { ok: false, error: describeFailure(err).message };
  }
}

export async function hostGroup(input: HostGroupInput): Promise<GroupHostOutcome[]> {
  const acts = activitiesFor(input.options);
  const spec = passOn(input);
  const out = new Map<string, GroupHostOutcome>();
  const inline = input.child !== undefined && patched(INLINE_JOINS_PATCH);
  const one = async (host: string): Promise<GroupHostOutcome> => {
    const summary = input.summaries[input.hosts.indexOf(host)] ?? `${input.phase} ${host}`;
    if (!input.child) {
      try {
        const result = await acts.runHostPhase.executeWithOptions({ summary }, [
          { ...spec, phase: input.phase, host, runtime: input.runtime, ...(input.action ? { action: input.action } : {}) },
        ]);
        return { host, ok: true, result: withoutTails(result) };
      } catch (err) {
        const f = describeFailure(err);
        return { host, ok: false, error: f.message, details: f.details && { ...f.details, tail: '' } };
      }
    }
    const joinInput = { host, summary, runtime: input.runtime ?? {}, options: input.options, ...spec };
    const o = inline ? await joinHost(joinInput, input.child === 'joinMaster' ? 'join-masters' : 'join-workers') : await joinChild(input, input.child, joinInput);
    if (o.ok) return { host, ok: true, result: withoutTails(o.result) };
    return { host, ok: false, error: o.error, details: o.details && { ...o.details, tail: '' }, compensated: o.compensation !== undefined, undoError: o.compensationError, health: o.health };
  };
  await pool(input.hosts, Math.max(1, input.concurrency), async (host) => {
    const o = await one(host);
    out.set(host, o);
    return o.ok;
  });
  return input.hosts.map((h) => out.get(h) as GroupHostOutcome);
}
