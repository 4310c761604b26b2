/**
 * The activities the worker registers. `createActivities(deps)` closes over one SSH pool, so
 * every activity on this worker reuses one connection per host; the private key stays here,
 * on the worker, and only its path travels in the spec.
 */
import { compensationSteps, workerCompensationSteps } from '../phases';
import { hostByName, master0 as master0Of } from '../spec/topology';
import type { PhaseName, PlannedStep } from '../plan/types';
import type { ActionRef } from '../plan/actions';
import { SshPool } from '../ssh';
import type { Cluster } from '../spec/types';
import { ensureJoinCredentials } from './credentials';
import { precondition } from './failure';
import { checkControlPlane } from './health';
import { runHostPhase, runSteps } from './host-phase';
import { heartbeating } from './heartbeat';
import { planOf } from './plan-cache';
import { fetchKubeconfig } from './kubeconfig';
import { awaitActionEnd } from './lock';
import { observeCluster } from './observe';
import { targetFor } from './targets';
import type { HakubeActivities } from './types';
import { verifySteps } from './verify';

export interface ActivityDeps {
  pool: SshPool;
}

function stepsFor(spec: Cluster, phase: PhaseName, host: string, action?: ActionRef): PlannedStep[] {
  const p = planOf(spec, action).phases.find((x) => x.name === phase);
  if (!p) throw precondition(`the plan of ${spec.metadata.name} has no phase ${phase}`);
  if (!p.hosts.includes(host)) throw precondition(`${host} has no work in phase ${phase} of ${spec.metadata.name}`);
  return p.steps.filter((s) => s.host === host);
}

function master0(spec: Cluster): { name: string; address: string } {
  const h = master0Of(spec);
  return { name: h.name, address: h.address };
}

export function createActivities(deps: Partial<ActivityDeps> = {}): HakubeActivities {
  const pool = deps.pool ?? new SshPool();
  const master0Conn = (spec: Cluster) => pool.get(targetFor(spec, master0(spec).name));
  const compensate = (stepsOf: (spec: Cluster, host: string) => PlannedStep[]) => async (input: { spec: Cluster; host: string }) => {
    if (input.host === master0(input.spec).name) {
      throw precondition(`refusing to compensate ${input.host}: it is master0, and compensation never resets master0`);
    }
    let steps: PlannedStep[];
    try {
      steps = stepsOf(input.spec, input.host);
    } catch (err) {
      throw precondition((err as Error).message);
    }
    return { host: input.host, steps: await runSteps(pool, input.spec, steps, undefined) };
  };
  return {
    runHostPhase: (input) => runHostPhase(pool, input, stepsFor),
    ensureJoinCredentials: (input) => heartbeating(async () => ensureJoinCredentials(await master0Conn(input.spec), input)),
    compensateMaster: compensate(compensationSteps),
    compensateWorker: compensate(workerCompensationSteps),
    checkControlPlane: (input) =>
      heartbeating(async () => {
        const m0 = master0(input.spec);
        const port = input.spec.spec.loadBalancer.apiserverBindPort;
        const joined = input.host && input.host !== m0.name ? hostByName(input.spec, input.host) : undefined;
        return checkControlPlane(await master0Conn(input.spec), m0.name, `${m0.address}:${port}`, joined && { name: joined.name, apiserver: `${joined.address}:${port}` });
      }),
    verifyCluster: (input) =>
      heartbeating(() => verifySteps(pool, input.spec, planOf(input.spec).phases.find((p) => p.name === 'verify')?.steps ?? [])),
    awaitActionEnd,
    observeCluster: (input) => heartbeating(() => observeCluster(pool, input.spec)),
    fetchKubeconfig: (input) => heartbeating(async () => fetchKubeconfig(await master0Conn(input.spec), input.spec, master0(input.spec).address)),
  };
}
