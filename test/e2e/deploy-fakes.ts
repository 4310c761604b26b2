/**
 * In-memory deploy activities for workflow-logic tests and the recorded replay history: they
 * answer from the real plan and fail on command, so retries, compensation and the operator
 * paths run on the real server without hosts.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Plan } from '../../src/plan/types';
import { secret, reveal } from '../../src/temporal/secret';
import type { HakubeActivities, HostPhaseInput } from '../../src/activities/types';
import { awaitActionEnd } from '../../src/activities/lock';

export const TOKEN = 'abcdef.0123456789abcdef';
export const CERT_KEY = 'f'.repeat(64);

/** Test activities: `fail` maps "phase/host" to how many attempts fail (Infinity: all of them). */
export class FakeHosts {
  constructor(private readonly plan: Plan) {}

  fail = new Map<string, number>();
  calls: string[] = [];
  /** "phase/host" whose steps report `already` (built by an earlier run). */
  already = new Set<string>();
  runtimes: Record<string, Record<string, string>> = {};
  /** "phase/host" whose activity does not return until the promise settles (a step still running). */
  holdUntil = new Map<string, Promise<void>>();
  /** Attempts of ensureJoinCredentials that fail (master0's apiserver unreachable). */
  failCreds = 0;

  activities(): HakubeActivities {
    return {
      // The cluster lock asks Temporal, not a host: the real one.
      awaitActionEnd,
      // The cluster as the last applied spec says it is.
      observeCluster: async ({ spec }) => ({
        from: spec.spec.hosts.find((h) => h.roles.includes('control-plane'))!.name,
        nodes: spec.spec.hosts.filter((h) => h.roles.includes('control-plane') || h.roles.includes('worker')).map((h) => ({ name: h.name, ready: true })),
        members: spec.spec.hosts.filter((h) => h.roles.includes('control-plane')).map((h) => ({ name: h.name, peerURL: `https://${h.address}:2380`, learner: false })),
        backends: {},
        errors: [],
      }),
      runHostPhase: async (input: HostPhaseInput) => {
        const key = `${input.phase}/${input.host}`;
        this.calls.push(`run ${key}`);
        await this.holdUntil.get(key);
        const left = this.fail.get(key) ?? 0;
        const steps = this.plan.phases.find((p) => p.name === input.phase)!.steps.filter((s) => s.host === input.host);
        if (left > 0) {
          this.fail.set(key, left - 1);
          const failing = steps[steps.length - 1];
          throw ApplicationFailure.create({
            type: 'CommandFailedError',
            message: `${input.host}: ${failing.title} exited 1: injected`,
            details: [{ stepId: failing.id, stepIndex: steps.length - 1, tail: 'injected failure', attempt: 1 }],
          });
        }
        this.runtimes[key] = Object.fromEntries(Object.entries(input.runtime ?? {}).map(([k, v]) => [k, reveal(v!)]));
        const status = this.already.has(key) ? ('already' as const) : ('done' as const);
        return { host: input.host, phase: input.phase, steps: steps.map((s) => ({ id: s.id, status, attempts: status === 'done' ? 1 : 0, tail: `ran ${s.id}` })) };
      },
      ensureJoinCredentials: async (input) => {
        this.calls.push(`creds token=${input.newToken} certs=${input.uploadCerts}`);
        if (this.failCreds-- > 0) throw ApplicationFailure.create({ type: 'CommandFailedError', message: 'm1: kubeadm token create exited 1: connection refused' });
        return {
          joinToken: input.newToken ? secret(TOKEN) : undefined,
          caCertHash: input.newToken ? secret('sha256:' + 'a'.repeat(64)) : undefined,
          certificateKey: input.uploadCerts ? secret(CERT_KEY) : undefined,
          tokenCreated: input.newToken,
          certsUploaded: input.uploadCerts,
        };
      },
      compensateMaster: async (input) => {
        this.calls.push(`compensate-master ${input.host}`);
        return { host: input.host, steps: [] };
      },
      compensateWorker: async (input) => {
        this.calls.push(`compensate-worker ${input.host}`);
        return { host: input.host, steps: [] };
      },
      checkControlPlane: async (input) => {
        this.calls.push(input.host ? `check-control-plane ${input.host}` : 'check-control-plane');
        return { ok: true, checks: [{ name: 'etcd quorum', ok: true, detail: 'ok' }] };
      },
      verifyCluster: async () => ({ ok: true, checks: [{ name: 'nodes Ready', ok: true, detail: '5/5' }] }),
      deleteRunTokens: async () => {
        this.calls.push('delete-run-tokens');
        return { deleted: ['abcdef'] };
      },
      fetchKubeconfig: async () => '/tmp/admin.conf',
    };
  }
}
