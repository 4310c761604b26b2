/**
 * The fault matrix's vocabulary: the six faults, the eight phases, and per example and phase the
 * host and command a fault is aimed at: a command that, on that host, only that phase's steps
 * run (the fault is armed before the run and fires wherever the command first runs; the harness
 * fails a cell whose fault fired in another phase). Pure data: ./harness.ts does the injecting.
 */
import type { PhaseName } from '../../src/plan/types';

export type Example = 'ha-vip' | 'ha-local-proxy';
export const EXAMPLES: Example[] = ['ha-vip', 'ha-local-proxy'];

export const PHASES: PhaseName[] = ['prep', 'etcd', 'lb', 'init', 'join-masters', 'join-workers', 'verify', 'cleanup'];

export const FAULTS = ['worker-kill', 'server-restart', 'ssh-cut', 'fail-once', 'fail-always', 'hang'] as const;
export type Fault = (typeof FAULTS)[number];

export const FAULT_TITLES: Record<Fault, string> = {
  'worker-kill': 'worker SIGKILL mid-step, new worker',
  'server-restart': 'dev server stopped and restarted (same db)',
  'ssh-cut': "SSH cut (host's link down 20 s)",
  'fail-once': 'step fails once',
  'fail-always': 'step fails always, cleared, retry',
  hang: 'step hangs',
};

export interface Injection {
  phase: PhaseName;
  fault: Fault;
}

export interface Target {
  host: string;
  /** The command's first words, as the lab's `command` fault matches them. */
  match: string[];
  /** Exit code of an injected failure (default 1; a probe that reads 1 as "missing" needs another). */
  exitCode?: number;
  /**
   * How a worker kill or an SSH cut finds the step mid-flight: `run` waits for the command's own line in the
   * host's command log (long, detached commands), `hang` holds the command once and kills while
   * it hangs, `drill` waits for the VIP drill to have moved keepalived's manifest.
   */
  killAnchor: 'run' | 'hang' | 'drill';
}

const ADMIN = ['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf'];

export const TARGETS: Record<Example, Partial<Record<PhaseName, Target>>> = {
  'ha-local-proxy': {
    prep: { host: 'k2', match: ['modprobe'], killAnchor: 'hang' },
    // k1 runs etcdctl only in verify (the etcd phase's health check is on the last member, k3);
    // the restart of etcd's own unit is the first member's start, and prep (containerd, kubelet)
    // and lb (kube-apiserver-proxy) restart other units.
    etcd: { host: 'k1', match: ['systemctl', 'restart', 'etcd'], killAnchor: 'hang' },
    lb: { host: 'k4', match: ['nginx', '-t'], killAnchor: 'hang' },
    init: { host: 'k1', match: ['kubeadm', 'init'], killAnchor: 'run' },
    'join-masters': { host: 'k3', match: ['kubeadm', 'join'], killAnchor: 'run' },
    'join-workers': { host: 'k5', match: ['kubeadm', 'join'], killAnchor: 'run' },
    verify: { host: 'k1', match: [...ADMIN, 'wait'], killAnchor: 'hang' },
    cleanup: { host: 'k1', match: ['rm', '-rf', '/etc/etcd/pki/members'], killAnchor: 'hang' },
  },
  'ha-vip': {
    prep: { host: 'm2', match: ['modprobe'], killAnchor: 'hang' },
    // The lb step only writes files (its reload check passes before haproxy runs): the file
    // write's comparison is what can fail (sha256sum's exit 1 means "missing", so another code).
    lb: { host: 'm2', match: ['sha256sum', '--', '/etc/haproxy/haproxy.cfg'], exitCode: 3, killAnchor: 'hang' },
    init: { host: 'm1', match: ['kubeadm', 'init'], killAnchor: 'run' },
    'join-masters': { host: 'm3', match: ['kubeadm', 'join'], killAnchor: 'run' },
    'join-workers': { host: 'w2', match: ['kubeadm', 'join'], killAnchor: 'run' },
    verify: { host: 'm1', match: [...ADMIN, 'wait'], killAnchor: 'drill' },
    cleanup: { host: 'm1', match: [...ADMIN, '-n', 'kube-system', 'delete', 'secret', 'kubeadm-certs'], killAnchor: 'hang' },
  },
};

/**
 * `npm test`'s subset: one deploy per example, one fault per phase, every fault and every phase
 * at least once over the two (a Latin-square-like cover). The hang, the slowest fault, runs once.
 */
const COVER: Record<Example, Partial<Record<PhaseName, Fault>>> = {
  'ha-local-proxy': {
    prep: 'ssh-cut',
    etcd: 'fail-once',
    lb: 'hang',
    init: 'worker-kill',
    'join-masters': 'fail-always',
    'join-workers': 'server-restart',
    verify: 'fail-once',
    cleanup: 'fail-always',
  },
  'ha-vip': {
    prep: 'fail-once',
    lb: 'fail-always',
    init: 'server-restart',
    'join-masters': 'ssh-cut',
    'join-workers': 'fail-always',
    verify: 'worker-kill',
    cleanup: 'fail-once',
  },
};

export const SUBSET = Object.fromEntries(
  Object.entries(COVER).map(([example, byPhase]) => [example, Object.entries(byPhase).map(([phase, fault]) => ({ phase, fault }) as Injection)]),
) as Record<Example, Injection[]>;
