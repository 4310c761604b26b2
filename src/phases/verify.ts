/**
 * verify: the checks the seeds run by hand. Nodes Ready, etcd healthy with every member,
 * apiserver healthz through the LB from every node, and per topology the VIP failover drill
 * (behind a VIP) or a test deployment and service (behind local proxies).
 */
import { etcdDriver } from '../drivers/etcd';
import { lbDriver } from '../drivers/lb';
import { renderEtcdHealthScript } from '../render/etcd';
import { nodesReadyArgv, renderHealthzScript, renderVerifyNodes, VERIFY_NODES_FILE } from '../render/verify';
import { controlPlaneEndpoint, master0, nodes } from '../spec/topology';
import type { Cluster } from '../spec/types';
import type { PlannedStep } from '../plan/types';
import { cmd, file, kubectl, runScript, script, step } from './step';
import type { PhaseModule } from './types';

/** Every kind of verification check; src/activities/verify-summary.ts reads each one's output. */
export const VERIFY_KINDS = ['nodes-ready', 'etcd-health', 'healthz', 'vip-failover', 'test-workload'] as const;
export type VerifyKind = (typeof VERIFY_KINDS)[number];

/** The kind of a verify step, from its id (`verify/<host>/<kind>`); LB drivers add theirs. */
export function verifyKind(stepId: string): VerifyKind | undefined {
  const slug = stepId.split('/').pop();
  return VERIFY_KINDS.find((k) => k === slug);
}

const vstep = (host: string, kind: VerifyKind, title: string, body: Parameters<typeof step>[4]): PlannedStep => step('verify', host, kind, title, body);

function verifySteps(c: Cluster): PlannedStep[] {
  const m0 = master0(c).name;
  const steps: PlannedStep[] = [
    vstep(m0, 'nodes-ready', `every node Ready (${nodes(c).length})`, {
      files: [file(VERIFY_NODES_FILE, renderVerifyNodes(c))],
      commands: [cmd(...nodesReadyArgv()), kubectl('get', 'nodes', '-o', 'wide')],
    }),
    vstep(m0, 'etcd-health', 'etcd endpoint health and member list', {
      files: [script('verify-etcd', renderEtcdHealthScript(c, etcdDriver(c).clientCerts))],
      commands: [runScript('verify-etcd')],
    }),
  ];
  for (const h of nodes(c)) {
    steps.push(
      vstep(h.name, 'healthz', `apiserver healthz through ${controlPlaneEndpoint(c)}`, {
        files: [script('verify-healthz', renderHealthzScript(c))],
        commands: [runScript('verify-healthz')],
      }),
    );
  }
  steps.push(...lbDriver(c).verifySteps(c, master0(c)));
  return steps;
}

export const verify: PhaseModule = {
  name: 'verify',
  title: 'verify the cluster',
  skipReason: () => undefined,
  hosts: (c) => [...new Set([master0(c).name, ...nodes(c).map((h) => h.name)])],
  run: { kind: 'cluster', secrets: [] },
  concurrency: () => 1,
  steps: verifySteps,
};
