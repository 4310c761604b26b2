/**
 * An etcd topology: everything hakube does differently for one `spec.etcd.topology`. Each is
 * one module, listed once in `ETCD_DRIVERS` (index.ts), which the compiler checks against the
 * schema: a new topology is one file plus one entry.
 */
import type { PhaseName, PlannedStep } from '../../plan/types';
import type { PackageNeed } from '../../render/system';
import type { RenewOptions } from '../../phases/renew-options';
import type { Cluster, HostSpec } from '../../spec/types';

export interface EtcdCerts {
  ca: string;
  cert: string;
  key: string;
}

export interface EtcdDriver {
  /** Why hakube's own etcd phase does not apply, or undefined when it runs. */
  skipReason(c: Cluster): string | undefined;
  /** The etcd phase's hosts (in order) and steps. */
  phaseHosts(c: Cluster): string[];
  phaseSteps(c: Cluster): PlannedStep[];
  /** ClusterConfiguration.etcd for kubeadm. */
  kubeadmEtcd(c: Cluster): Record<string, unknown>;
  /** `kubeadm reset` on a control plane of this topology. */
  resetArgv(): string[];
  /** The etcd data dir a reset control plane loses, if kubeadm owns it. */
  resetDataDir(c: Cluster): string | undefined;
  /** Steps (on master0) that take a leaving control plane's etcd member out; none when etcd is not on it. */
  memberRemovalSteps(c: Cluster, h: HostSpec, master0: HostSpec, phase: PhaseName, slug: string, title: string): PlannedStep[];
  /** etcdctl's member list, run on a control plane (the live cluster, for apply). */
  memberListArgv(c: Cluster): string[];
  /** Client certificates on master0 that etcdctl uses for health and member checks. */
  clientCerts: EtcdCerts;
  /** What a join of control plane number `i` (1-based) does to etcd, for the plan's title. */
  joinNote(c: Cluster, i: number): string;
  /** Cleanup after the build (etcd material kept only while building). */
  cleanupSteps(c: Cluster): PlannedStep[];
  /** Packages a host needs for this topology (prep). */
  packages(c: Cluster, h: HostSpec): PackageNeed[];
  /** Steps that stop the topology's own etcd and delete its data (hakube reset --wipe-etcd); none when kubeadm owns it. */
  wipeSteps(c: Cluster, phase: PhaseName): PlannedStep[];
  /** Why wiping does not apply (stacked: its members went with their control planes). */
  wipeSkipReason(c: Cluster, wipe: boolean): string | undefined;
  /** Does a control plane of this topology run a stacked member (kubeadm's local etcd)? */
  stacked: boolean;
  /** `kubeadm init phase` steps of this topology that finishing a half-done init re-runs. */
  initPhases: string[][];
  /** Static pod manifests of this topology on every control plane (besides the control plane's own). */
  controlPlaneManifests: string[];
  /**
   * Certificates this topology makes outside kubeadm's PKI on host `h` (kubeadm's
   * check-expiration does not see them), read with openssl by `hakube certs check`.
   */
  ownCertificates(c: Cluster, h: HostSpec): Array<{ name: string; path: string; ca: string }>;
  /**
   * Certificate renewal of this topology's own etcd (hakube certs renew), member by member,
   * before the control planes' renewal; none when kubeadm renews the members' certificates.
   */
  renewSteps(c: Cluster, o: RenewOptions): PlannedStep[];
  /** Certificates a joined control plane uses to ask its own local member (undefined: none there). */
  localMemberCerts?: EtcdCerts;
}
