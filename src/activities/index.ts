/**
 * The activities the worker registers. `createActivities(deps)` closes over one SSH pool, so
 * every activity on this worker reuses one connection per host; the private key stays here,
 * on the worker, and only its path travels in the spec.
 */
import { compensationSteps, workerCompensationSteps } from '../phases';
import { hostByName, master0 as master0Of } from '../spec/topology';
import { DEFAULT_STEP_TIMEOUT_SECONDS, type PhaseName, type PlannedStep } from '../plan/types';
import type { ActionRef } from '../plan/actions';
import { SshPool } from '../ssh';
import type { Cluster } from '../spec/types';
import { ensureJoinCredentials } from './credentials';
import { checkCertificates } from './certs';
import { clusterLock } from './lock';
import { etcdSnapshot } from './etcd-snapshot';
import { precondition } from './failure';
import { checkControlPlane } from './health';
import { runHostPhase, runSteps } from './host-phase';
import { Context } from '@temporalio/activity';
import { HEARTBEAT_EVERY_MS, heartbeating } from './heartbeat';
import { planOf } from './plan-cache';
import { fetchKubeconfig } from './kubeconfig';
import { awaitActionEnd } from './lock';
import { observeCluster } from './observe';
import { targetFor } from './targets';
import { deleteRunTokens } from './tokens';
import { SpecSource, type SpecFetcher } from './spec-source';
import type { CertActivities, HakubeActivities } from './types';
import { verifySteps } from './verify';

/** How long a SpecRef read keeps retrying a failing query (a restarting server or worker). */
const SPEC_READ_PATIENCE_MS = 120_000;

export interface ActivityDeps {
  pool: SshPool;
  /** How a SpecRef is read (default: the holding workflow's `spec` query). */
  fetchSpec: SpecFetcher;
  /**
   * Upper bound on every step's planned timeout, in seconds (default: none, or
   * HAKUBE_STEP_TIMEOUT_MAX_SECONDS). A site that knows its hosts are fast gets hangs noticed
   * sooner; the fault matrix uses it so a hang costs a minute, not kubeadm's worst case.
   */
  stepTimeoutMaxSeconds?: number;
}

function capTimeouts(steps: PlannedStep[], max: number | undefined): PlannedStep[] {
  if (!max) return steps;
  return steps.map((s) => ({ ...s, timeoutSeconds: Math.min(s.timeoutSeconds ?? DEFAULT_STEP_TIMEOUT_SECONDS, max) }));
}

function envTimeoutMax(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.HAKUBE_STEP_TIMEOUT_MAX_SECONDS;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 10) throw new Error(`HAKUBE_STEP_TIMEOUT_MAX_SECONDS must be a whole number of seconds, at least 10 (got "${raw}")`);
  return n;
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

export function createActivities(deps: Partial<ActivityDeps> = {}): HakubeActivities & CertActivities {
  const pool = deps.pool ?? new SshPool();
  const max = deps.stepTimeoutMaxSeconds ?? envTimeoutMax();
  const source = new SpecSource(deps.fetchSpec);
  // Reading a SpecRef asks the root workflow, which after a worker's death can take a sticky
  // queue's timeout: beat meanwhile, re-sending the last attempt's details so a resume point survives.
  const specs = {
    resolve: (async (wire) => {
      const ctx = Context.current();
      const details = ctx.info.heartbeatDetails as unknown;
      ctx.heartbeat(details);
      const timer = setInterval(() => ctx.heartbeat(details), HEARTBEAT_EVERY_MS);
      try {
        // A server or worker restart fails the query for a while; the spec is still there.
        for (let waited = 0; ; waited += 2_000) {
          try {
            return await source.resolve(wire);
          } catch (err) {
            if (!wire.specRef || waited >= SPEC_READ_PATIENCE_MS || (err as Error).name === 'SpecInvalid') throw err;
            await new Promise((r) => setTimeout(r, 2_000));
          }
        }
      } finally {
        clearInterval(timer);
      }
    }) as SpecSource['resolve'],
  };
  const master0Conn = (spec: Cluster) => pool.get(targetFor(spec, master0(spec).name));
  const compensate = (stepsOf: (spec: Cluster, host: string) => PlannedStep[]) => async (wire: Parameters<HakubeActivities['compensateMaster']>[0]) => {
    const input = await specs.resolve(wire);
    if (input.host === master0(input.spec).name) {
      throw precondition(`refusing to compensate ${input.host}: it is master0, and compensation never resets master0`);
    }
    let steps: PlannedStep[];
    try {
      steps = capTimeouts(stepsOf(input.spec, input.host), max);
    } catch (err) {
      throw precondition((err as Error).message);
    }
    return { host: input.host, steps: await runSteps(pool, input.spec, steps, undefined) };
  };
  return {
    runHostPhase: async (wire) => runHostPhase(pool, await specs.resolve(wire), (...a) => capTimeouts(stepsFor(...a), max)),
    ensureJoinCredentials: async (wire) => {
      const input = await specs.resolve(wire);
      return heartbeating(async () => ensureJoinCredentials(await master0Conn(input.spec), input));
    },
    compensateMaster: compensate(compensationSteps),
    compensateWorker: compensate(workerCompensationSteps),
    checkControlPlane: async (wire) => {
      const input = await specs.resolve(wire);
      return heartbeating(async () => {
        const m0 = master0(input.spec);
        const port = input.spec.spec.loadBalancer.apiserverBindPort;
        const joined = input.host && input.host !== m0.name ? hostByName(input.spec, input.host) : undefined;
        return checkControlPlane(await master0Conn(input.spec), m0.name, `${m0.address}:${port}`, joined && { name: joined.name, apiserver: `${joined.address}:${port}` });
      });
    },
    verifyCluster: async (wire) => {
      const { spec } = await specs.resolve(wire);
      return heartbeating(() => verifySteps(pool, spec, capTimeouts(planOf(spec).phases.find((p) => p.name === 'verify')?.steps ?? [], max)));
    },
    deleteRunTokens: async (wire) => {
      const { spec } = await specs.resolve(wire);
      return heartbeating(async () => deleteRunTokens(await master0Conn(spec)));
    },
    fetchKubeconfig: async (wire) => {
      const { spec } = await specs.resolve(wire);
      return heartbeating(async () => fetchKubeconfig(await master0Conn(spec), spec, master0(spec).address));
    },
    awaitActionEnd,
    observeCluster: (input) => heartbeating(() => observeCluster(pool, input.spec)),
    checkCertificates: (input) => heartbeating(() => checkCertificates(pool, input.spec)),
    clusterLock,
    etcdSnapshot: (input) => heartbeating(() => etcdSnapshot(pool, input)),
  };
}
