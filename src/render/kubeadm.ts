/**
 * kubeadm's config (API kubeadm.k8s.io/v1beta4, Kubernetes 1.31+) for `kubeadm init` on
 * master0: InitConfiguration + ClusterConfiguration + KubeletConfiguration +
 * KubeProxyConfiguration, following the runbooks' kubeadm.yaml and their lessons; and the
 * JoinConfiguration for each joining node. Joins take their secrets (bootstrap token, CA hash,
 * certificate key) from that file, never from argv, where `ps` on the host would show them; kubeadm
 * refuses --token/--control-plane next to --config, so everything but --ignore-preflight-errors
 * is in the file.
 */
import { nthAddress } from '../spec/net';
import { etcdDriver } from '../drivers/etcd';
import { lbDriver, type PreflightKind } from '../drivers/lb';
import { controlPlanes, controlPlaneEndpoint, endpointHost, master0 } from '../spec/topology';
import type { Cluster, HostSpec } from '../spec/types';
import { AUDIT_POLICY } from './paths';
import { toYaml, toYamlDocs } from './yaml';

/**
 * kubeadm's v1beta4 `timeouts` (seconds; kubeadm's own defaults), written into every config hakube
 * renders so the step timeouts below are computed from what kubeadm will really wait.
 */
export const KUBEADM_TIMEOUTS = {
  controlPlaneComponentHealthCheck: 240,
  kubeletHealthCheck: 240,
  kubernetesAPICall: 60,
  etcdAPICall: 120,
  tlsBootstrap: 300,
  discovery: 300,
  upgradeManifests: 300,
} as const;

/** The description of the bootstrap token `kubeadm init` makes (hakube deletes it after the deploy). */
export const INIT_TOKEN_DESCRIPTION = 'hakube: made by kubeadm init, deleted when the deploy ends';

/** Margin over kubeadm's own waits: process start, file writes, image checks. */
const KUBEADM_MARGIN_SECONDS = 120;

/**
 * How long a kubeadm step may take before hakube calls it hung: the sum of the waits kubeadm
 * makes in that command (each with its own timeout) plus a margin. API calls are counted per
 * phase that makes them (init: upload-config, upload-certs, mark-control-plane, bootstrap-token,
 * addons; a control-plane join: upload-config, mark-control-plane, etcd member add).
 */
export function kubeadmStepTimeoutSeconds(kind: 'init' | 'join-master' | 'join-worker' | 'reset'): number {
  const t = KUBEADM_TIMEOUTS;
  const waits = {
    init: t.kubeletHealthCheck + t.controlPlaneComponentHealthCheck + 5 * t.kubernetesAPICall + t.etcdAPICall,
    'join-master': t.discovery + t.tlsBootstrap + t.kubeletHealthCheck + t.controlPlaneComponentHealthCheck + t.etcdAPICall + 3 * t.kubernetesAPICall,
    'join-worker': t.discovery + t.tlsBootstrap + t.kubeletHealthCheck,
    // reset reads the cluster's config and may remove its etcd member; nothing else waits.
    reset: t.kubernetesAPICall + t.etcdAPICall,
  }[kind];
  return waits + KUBEADM_MARGIN_SECONDS;
}

function timeoutsDoc(): Record<string, string> {
  return Object.fromEntries(Object.entries(KUBEADM_TIMEOUTS).map(([k, v]) => [k, `${v}s`]));
}

const args = (m: Record<string, string>) => Object.entries(m).map(([name, value]) => ({ name, value }));

/**
 * Preflight errors hakube expects and tolerates. They go on the command line (kubeadm merges
 * the flag with --config), where the operator reading the plan sees them.
 */
export function ignoredPreflightErrors(c: Cluster, kind: PreflightKind): string[] {
  const out: string[] = [];
  if (c.spec.system.swap === 'allow') out.push('Swap');
  // Seed 001: haproxy/keepalived static pods are in place before a control plane joins.
  out.push(...lbDriver(c).preflightIgnores(kind));
  return out;
}

export function ignorePreflightFlag(c: Cluster, kind: PreflightKind): string[] {
  const ignore = ignoredPreflightErrors(c, kind);
  return ignore.length ? [`--ignore-preflight-errors=${ignore.join(',')}`] : [];
}

/** SANs for the apiserver certificate: the LB endpoint, loopback and every control plane. */
export function apiServerCertSANs(c: Cluster): string[] {
  const sans = [endpointHost(c), '127.0.0.1', 'localhost', ...controlPlanes(c).flatMap((h) => [h.name, h.address]), ...c.spec.apiServer.certSANs];
  return [...new Set(sans.filter((s) => s !== ''))];
}

export function auditArgs(c: Cluster): Record<string, string> {
  const a = c.spec.apiServer.audit;
  if (!a.enabled) return {};
  return {
    'audit-policy-file': AUDIT_POLICY,
    'audit-log-path': a.logPath,
    'audit-log-maxage': String(a.maxAge),
    'audit-log-maxbackup': String(a.maxBackup),
    'audit-log-maxsize': String(a.maxSize),
  };
}

export function renderAuditPolicy(c: Cluster): string {
  return c.spec.apiServer.audit.policy ?? toYaml({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', omitStages: ['RequestReceived'], rules: [{ level: 'Metadata' }] });
}

export function renderKubeadmConfig(c: Cluster): string {
  const s = c.spec;
  const m0 = master0(c);
  const lb = s.loadBalancer;
  const audit = s.apiServer.audit;
  const logDir = audit.logPath.replace(/\/[^/]*$/, '') || '/';

  const nodeRegistration: Record<string, unknown> = { name: m0.name };
  // No taints at all lets ordinary pods run on master0 (the runbook's untaint), without a later step.
  if (s.controlPlane.untaint) nodeRegistration.taints = [];

  const init = {
    apiVersion: 'kubeadm.k8s.io/v1beta4',
    kind: 'InitConfiguration',
    // kubeadm's defaults (24 h, signing + authentication, the default node group), named so the
    // deploy can delete it when it ends: joins use tokens the run makes itself.
    bootstrapTokens: [{ description: INIT_TOKEN_DESCRIPTION }],
    localAPIEndpoint: { advertiseAddress: m0.address, bindPort: lb.apiserverBindPort },
    nodeRegistration,
    timeouts: timeoutsDoc(),
  };

  const etcd = etcdDriver(c).kubeadmEtcd(c);

  const apiServer: Record<string, unknown> = { certSANs: apiServerCertSANs(c) };
  const apiArgs = { ...auditArgs(c), ...s.apiServer.extraArgs };
  if (Object.keys(apiArgs).length) apiServer.extraArgs = args(apiArgs);
  if (audit.enabled) {
    apiServer.extraVolumes = [
      { name: 'audit-policy', hostPath: AUDIT_POLICY, mountPath: AUDIT_POLICY, readOnly: true, pathType: 'File' },
      { name: 'audit-log', hostPath: logDir, mountPath: logDir, pathType: 'DirectoryOrCreate' },
    ];
  }

  const cluster: Record<string, unknown> = {
    apiVersion: 'kubeadm.k8s.io/v1beta4',
    kind: 'ClusterConfiguration',
    clusterName: c.metadata.name,
    kubernetesVersion: s.kubernetesVersion,
    controlPlaneEndpoint: controlPlaneEndpoint(c),
    imageRepository: s.imageRepository,
    certificatesDir: '/etc/kubernetes/pki',
    networking: { podSubnet: s.networking.podSubnet, serviceSubnet: s.networking.serviceSubnet, dnsDomain: s.networking.dnsDomain },
    etcd,
    apiServer,
  };
  // Only when the spec asks: an absent field keeps kubeadm's defaults (1 year, CAs 10 years).
  if (s.certificates?.validityPeriod) cluster.certificateValidityPeriod = s.certificates.validityPeriod;
  if (s.certificates?.caValidityPeriod) cluster.caCertificateValidityPeriod = s.certificates.caValidityPeriod;
  if (Object.keys(s.controllerManager.extraArgs).length) cluster.controllerManager = { extraArgs: args(s.controllerManager.extraArgs) };
  if (Object.keys(s.scheduler.extraArgs).length) cluster.scheduler = { extraArgs: args(s.scheduler.extraArgs) };

  const k = s.kubelet;
  const kubelet: Record<string, unknown> = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    cgroupDriver: k.cgroupDriver,
    clusterDNS: [nthAddress(s.networking.serviceSubnet, 10)],
    clusterDomain: s.networking.dnsDomain,
    rotateCertificates: true,
    evictionHard: k.evictionHard,
    evictionSoft: k.evictionSoft,
    evictionSoftGracePeriod: k.evictionSoftGracePeriod,
    evictionMaxPodGracePeriod: k.evictionMaxPodGracePeriod,
    kubeReserved: k.kubeReserved,
    containerLogMaxSize: k.containerLogMaxSize,
    containerLogMaxFiles: k.containerLogMaxFiles,
  };
  if (s.system.swap === 'allow') Object.assign(kubelet, { failSwapOn: false, memorySwap: { swapBehavior: 'NoSwap' } });

  const proxy: Record<string, unknown> = {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    mode: s.kubeProxy.mode,
    clusterCIDR: s.networking.podSubnet,
  };
  if (s.kubeProxy.mode === 'ipvs') proxy.ipvs = { scheduler: s.kubeProxy.ipvsScheduler, strictARP: true };

  return toYamlDocs([init, cluster, kubelet, proxy]);
}

/**
 * The JoinConfiguration for `h`. Runtime values stay `{{placeholders}}` here (the plan shows the
 * file as it is); the executor fills them on the worker and writes the file 0600 just before the
 * join, and removes it right after.
 */
export function renderJoinConfig(c: Cluster, h: HostSpec, controlPlane: boolean): string {
  const doc: Record<string, unknown> = {
    apiVersion: 'kubeadm.k8s.io/v1beta4',
    kind: 'JoinConfiguration',
    discovery: { bootstrapToken: { apiServerEndpoint: controlPlaneEndpoint(c), token: '{{joinToken}}', caCertHashes: ['{{caCertHash}}'] } },
    nodeRegistration: { name: h.name },
    timeouts: timeoutsDoc(),
  };
  if (controlPlane) {
    doc.controlPlane = { localAPIEndpoint: { advertiseAddress: h.address, bindPort: c.spec.loadBalancer.apiserverBindPort }, certificateKey: '{{certificateKey}}' };
  }
  return toYaml(doc);
}
