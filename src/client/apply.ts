/**
 * Client side of apply: the last applied spec from Temporal, the difference (refused before any
 * host is touched), the cluster's lock, and the apply run.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { CliError, EXIT } from '../exit';
import { buildApplyPlan } from '../plan/actions';
import { buildPlan } from '../plan/build';
import { changedFiles, diffSpecs, diffText, type SpecDiff } from '../plan/diff';
import type { Plan } from '../plan/types';
import type { Cluster } from '../spec/types';
import type { ApplyInput } from '../workflows/apply';
import type { DeployOptions } from '../workflows/proxies';
import { diffAgainstCluster, driftText, type ClusterDrift } from '../plan/observed';
import { lastAppliedSpec } from './applied';
import { readLiveCluster } from './observe';
import { withAbsolutePaths } from './deploy';
import { startAction } from './start-action';

export interface ApplyPreview {
  previous: Cluster;
  diff: SpecDiff;
  /** The cluster as it is against the specs; undefined when no worker could read it. */
  drift?: ClusterDrift;
  /** The difference in words (hosts, files per host, the live cluster, refusals). */
  text: string;
  /** Undefined when the difference is refused. */
  plan?: Plan;
}

export async function previewApply(client: Client, spec: Cluster): Promise<ApplyPreview> {
  const previous = await lastAppliedSpec(client, spec.metadata.name, true);
  const next = withAbsolutePaths(spec);
  const diff = diffSpecs(previous, next);
  // The cluster itself, through the hosts the last applied spec built.
  const observed = await readLiveCluster(client, previous);
  const drift = observed && diffAgainstCluster(previous, next, observed);
  const live = observed && drift ? driftText(observed, drift) : "the cluster as it is: not read (no worker polls hakube's task queue; start `hakube worker`)\n";
  const text = diffText(diff, changedFiles(buildPlan(previous), buildPlan(next))) + live;
  const refused = diff.refused.length > 0 || (drift?.refused.length ?? 0) > 0;
  return { previous, diff, ...(drift ? { drift } : {}), text, plan: refused ? undefined : buildApplyPlan(previous, next) };
}

/** Refuses (exit 2) what apply cannot change, before any host is touched. */
export function assertApplicable(p: ApplyPreview): void {
  const refused = [...p.diff.refused, ...(p.drift?.refused ?? [])];
  if (refused.length) throw new CliError(`apply refused, nothing was touched:\n${refused.map((r) => `  ${r}`).join('\n')}`, EXIT.BAD_INPUT);
}

export async function startApply(client: Client, spec: Cluster, p: ApplyPreview, options?: DeployOptions): Promise<WorkflowHandle> {
  assertApplicable(p);
  const cluster = spec.metadata.name;
  const input: ApplyInput = { spec: withAbsolutePaths(spec), previous: p.previous, options };
  return startAction(client, cluster, 'apply', { input, summary: `apply ${cluster}`, alreadyRunning: (id) => `an apply of ${cluster} is already running (${id})` });
}
