/**
 * A load-balancer kind: everything hakube does differently for one `spec.loadBalancer.type`.
 * Every kind is one module, listed once in `LB_DRIVERS` (index.ts), which the compiler checks
 * against the schema's types: a new kind is one file plus one entry.
 */
import type { PhaseName, PlannedStep } from '../../plan/types';
import type { PackageNeed } from '../../render/system';
import type { Cluster, HostSpec } from '../../spec/types';

export type PreflightKind = 'init' | 'join-master' | 'join-worker';

export interface LbDriver {
  /** What keeps the backend list, as titles name it (haproxy, nginx). */
  proxy: string;
  /** Why the lb phase does not apply, or undefined when hakube runs the load balancer. */
  skipReason(c: Cluster): string | undefined;
  /** Hosts that keep a list of the apiserver backends, in the order the lb phase takes them. */
  holders(c: Cluster): HostSpec[];
  /** The lb phase on one holder: the proxy (and VIP) in place and running. */
  setupStep(c: Cluster, h: HostSpec): PlannedStep;
  /**
   * The backend list on one holder rewritten from the spec, optionally without one control
   * plane (a compensated join, a removed master), as a step of `phase`.
   */
  backendsStep(c: Cluster, h: HostSpec, phase: PhaseName, slug: string, title: string, without?: string): PlannedStep;
  /** Where a holder keeps its backend list and how to read the host:port entries back (the live cluster, for apply); none when hakube keeps no list. */
  backendList?: { path: string; parse(text: string): string[] };
  /** Packages a host needs for this kind (prep). */
  packages(c: Cluster, h: HostSpec): PackageNeed[];
  /** kubeadm preflight errors this kind makes expected. */
  preflightIgnores(kind: PreflightKind): string[];
  /** The verify checks particular to this kind, on master0. */
  verifySteps(c: Cluster, master0: HostSpec): PlannedStep[];
  /**
   * The apiserver URL the operator's copy of admin.conf should use, when the one kubeadm wrote
   * only works on the nodes; undefined keeps kubeadm's.
   */
  operatorServer(c: Cluster, master0: HostSpec): string | undefined;
  /** The load balancer taken off one holder again (hakube reset), as a step of `phase`. */
  teardownStep(c: Cluster, h: HostSpec, phase: PhaseName): PlannedStep;
}
