/**
 * The cluster.yaml schema (zod, strict: an unknown key is an error). Structural rules live
 * here; rules that relate several fields (duplicates, overlaps, topology) are in validate.ts.
 * Error messages are written to follow the offending value: `<path>: <value> <message>`.
 * Pure: no Node built-ins (workflow code imports the planner, which imports this).
 */
import { z } from 'zod';
import {
  certSAN,
  certValidity,
  dnsDomain,
  evictionSignal,
  flagName,
  goDuration,
  hostKeyFingerprint,
  hostOrAddress,
  hostPath,
  imageRef,
  imageRepository,
  interfaceName,
  nodeAddress,
  oneLine,
  posixUser,
  quantity,
  quantityOrPercent,
  resourceName,
  sysctlKey,
  sysctlValue,
  workerPath,
} from './fields';

export const API_VERSION = 'hakube.io/v1alpha1';
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const ROLES = ['control-plane', 'etcd', 'worker'] as const;
export const ETCD_TOPOLOGIES = ['stacked', 'external'] as const;
export const LB_TYPES = ['local-proxy', 'vip', 'external'] as const;
export const CNI_PLUGINS = ['flannel', 'none'] as const;

const dnsLabel = z
  .string({ error: 'must be a string' })
  .max(63, { error: 'is longer than 63 characters; a DNS-1123 label has at most 63' })
  .regex(DNS1123_LABEL, { error: "is not a DNS-1123 label; use lowercase letters, digits and '-' (start and end with a letter or digit)" });

const cidr = z.cidrv4({ error: 'is not an IPv4 CIDR; write ADDRESS/PREFIX, e.g. 10.244.0.0/16' });
const portRange = { error: 'is out of range; use a port between 1 and 65535' };
const port = z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(1, portRange).max(65535, portRange);
const duration = z.string().regex(/^(\d+(ms|s|m|h))+$/, { error: 'is not a duration; write e.g. 30s, 10m or 4h' });
/** Component flags (kubeadm extraArgs): names without dashes, values on one line. */
const extraArgs = z.record(flagName, oneLine('flag value'));
const evictionMap = z.record(evictionSignal, quantityOrPercent);
const version = z
  .string()
  .regex(/^v1\.(3[1-9]|[4-9]\d)\.\d+$/, { error: 'is not a supported Kubernetes version; use v1.31.0 or later (kubeadm config v1beta4), e.g. v1.34.1' });

const ssh = z
  .strictObject({
    /** Not root: every command runs through `sudo -n`, which must not ask for a password. */
    user: posixUser.default('root'),
    port: port.default(22),
    /** Path on the operator's machine; the key never leaves it. */
    privateKeyPath: workerPath.optional(),
    knownHostsPath: workerPath.optional(),
    bastion: z
      .strictObject({ address: hostOrAddress, port: port.default(22), user: posixUser.optional(), hostKeyFingerprint: hostKeyFingerprint.optional() })
      .optional(),
  })
  .describe('How hakube reaches the hosts');

const host = z.strictObject({
  name: dnsLabel.describe('Node name (DNS-1123 label); kubeadm registers the node under it'),
  address: nodeAddress.describe('The address other hosts and the apiserver use'),
  roles: z
    .array(z.enum(ROLES, { error: `is not a role; use ${ROLES.join(', ')}` }))
    .min(1, { error: 'is empty; give at least one role: control-plane, etcd or worker' }),
  /** Pins the host's SSH key (`ssh-keygen -lf` of its public host key): then known_hosts is not consulted for it. */
  hostKeyFingerprint: hostKeyFingerprint.optional(),
});

const etcd = z.strictObject({
  topology: z.enum(ETCD_TOPOLOGIES, { error: 'is not an etcd topology; use stacked or external' }).default('stacked'),
  /** Where members keep their data (kubeadm's local etcd when stacked, the etcd unit when external). */
  dataDir: hostPath.default('/var/lib/etcd'),
  /** Milliseconds; slow networks want longer ones (e.g. 1000/5000). */
  heartbeatInterval: z.number().int().min(10).default(100),
  electionTimeout: z.number().int().min(100).default(1000),
  quotaBackendBytes: z.number().int().min(0).default(8589934592),
});

const keepalived = z.strictObject({
  /** Priority of the first control plane; the i-th gets base - i*step. */
  priorityBase: z.number().int().min(2).max(254).default(100),
  priorityStep: z.number().int().min(1).max(253).default(1),
  checkInterval: z.number().int().min(1).default(3),
  fall: z.number().int().min(1).default(3),
  rise: z.number().int().min(1).default(2),
  /** Seed 001: a recovered master does not take the VIP back, avoiding a second flap. */
  nopreempt: z.boolean().default(true),
  image: imageRef.default('docker.io/osixia/keepalived:2.0.20'),
});

const haproxy = z.strictObject({
  timeoutConnect: duration.default('10s'),
  /** Long, so `kubectl exec`/`logs -f` sessions survive idle periods (20 s timeouts cut them). */
  timeoutClient: duration.default('4h'),
  timeoutServer: duration.default('4h'),
  timeoutCheck: duration.default('10s'),
  image: imageRef.default('docker.io/library/haproxy:2.8'),
});

const loadBalancer = z.strictObject({
  type: z.enum(LB_TYPES, { error: 'is not a load balancer type; use local-proxy, vip or external' }).default('local-proxy'),
  /** Where clients dial. Default: 6443 (local-proxy, external), 8443 (vip). */
  port: port.optional(),
  /** Where the apiservers listen. Default: 5443 (local-proxy), 6443 (vip, external). */
  apiserverBindPort: port.optional(),
  vip: nodeAddress.optional(),
  /** The control planes' subnet prefix length: the VIP must lie in the same subnet as each of them. */
  vipPrefixLength: z.number().int().min(8, { error: 'is out of range; use a prefix length between 8 and 30' }).max(30, { error: 'is out of range; use a prefix length between 8 and 30' }).default(24),
  interface: interfaceName.optional(),
  virtualRouterId: z
    .number()
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'is out of range; a VRRP virtual router id is 1..255' })
    .max(255, { error: 'is out of range; a VRRP virtual router id is 1..255' })
    .optional(),
  address: hostOrAddress.optional(),
  keepalived: keepalived.prefault({}),
  haproxy: haproxy.prefault({}),
  /** nginx proxy_timeout (local-proxy); long for the same reason as haproxy's. */
  proxyTimeout: duration.default('4h'),
});

const networking = z.strictObject({
  podSubnet: cidr.default('10.244.0.0/16'),
  serviceSubnet: cidr.default('10.96.0.0/12'),
  dnsDomain: dnsDomain.default('cluster.local'),
});

const cni = z.strictObject({
  plugin: z.enum(CNI_PLUGINS, { error: 'is not a supported CNI plugin; use flannel or none' }).default('flannel'),
  backend: z.enum(['host-gw', 'vxlan'], { error: 'is not a flannel backend; use host-gw or vxlan' }).default('host-gw'),
  image: imageRef.default('ghcr.io/flannel-io/flannel:v0.26.7'),
  cniPluginImage: imageRef.default('ghcr.io/flannel-io/flannel-cni-plugin:v1.6.2-flannel1'),
});

const audit = z.strictObject({
  enabled: z.boolean().default(true),
  /** An audit.k8s.io/v1 Policy document; default logs every request at Metadata level. */
  policy: z.string().max(256 * 1024, { error: 'is longer than 256 KiB' }).optional(),
  logPath: hostPath.default('/var/log/kubernetes/audit/audit.log'),
  maxAge: z.number().int().min(0).default(20),
  maxBackup: z.number().int().min(0).default(10),
  maxSize: z.number().int().min(1).default(100),
});

const kubelet = z.strictObject({
  cgroupDriver: z.enum(['systemd', 'cgroupfs']).default('systemd'),
  evictionHard: evictionMap.default({ 'memory.available': '256Mi', 'nodefs.available': '10%', 'nodefs.inodesFree': '5%', 'imagefs.available': '10%' }),
  evictionSoft: evictionMap.default({ 'memory.available': '512Mi', 'nodefs.available': '15%', 'nodefs.inodesFree': '10%', 'imagefs.available': '15%' }),
  evictionSoftGracePeriod: z.record(evictionSignal, goDuration).default({ 'memory.available': '1m', 'nodefs.available': '3m', 'nodefs.inodesFree': '1m', 'imagefs.available': '3m' }),
  evictionMaxPodGracePeriod: z.number().int().min(0).default(30),
  kubeReserved: z.record(resourceName, quantity).default({ cpu: '200m', memory: '256Mi' }),
  /** Container log limits (unbounded apiserver logs fill disks). */
  containerLogMaxSize: quantity.default('50Mi'),
  containerLogMaxFiles: z.number().int().min(2).default(5),
});

const system = z.strictObject({
  /** off: swapoff now and comment swap out of /etc/fstab. allow: kubelet tolerates swap (failSwapOn: false). */
  swap: z.enum(['off', 'allow'], { error: 'is not a swap policy; use off or allow' }).default('off'),
  sysctls: z.record(sysctlKey, sysctlValue).default({
    'net.ipv4.ip_forward': '1',
    'net.bridge.bridge-nf-call-iptables': '1',
    'net.bridge.bridge-nf-call-ip6tables': '1',
  }),
  kernelModules: z.array(z.string().regex(/^[a-z0-9_]+$/, { error: 'is not a kernel module name' })).default(['br_netfilter', 'overlay', 'ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'nf_conntrack']),
  /** Install kubelet/kubeadm/kubectl (and etcd/nginx/haproxy/keepalived where used) when missing. */
  installPackages: z.boolean().default(true),
});

const component = z.strictObject({ extraArgs: extraArgs.default({}) });

/**
 * kubeadm v1beta4's certificate lifetimes (ClusterConfiguration.certificateValidityPeriod and
 * caCertificateValidityPeriod). Left out, kubeadm's defaults hold: one year for certificates
 * (which `kubeadm certs renew` must refresh in time), ten years for the CAs.
 */
const certificates = z.strictObject({
  validityPeriod: certValidity.optional(),
  caValidityPeriod: certValidity.optional(),
});

export const ClusterSchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION, { error: `is not a known apiVersion; use ${API_VERSION}` }),
    kind: z.literal('Cluster', { error: 'is not a known kind; use Cluster' }),
    metadata: z.strictObject({ name: dnsLabel.describe('Cluster name (DNS-1123 label)') }),
    spec: z.strictObject({
      kubernetesVersion: version.default('v1.34.1'),
      ssh: ssh.prefault({}),
      hosts: z.array(host).min(1, { error: 'is empty; list the hosts with their name, address and roles' }),
      etcd: etcd.prefault({}),
      loadBalancer: loadBalancer.prefault({}),
      networking: networking.prefault({}),
      cni: cni.prefault({}),
      imageRepository: imageRepository.default('registry.k8s.io'),
      apiServer: z
        .strictObject({ extraArgs: extraArgs.default({}), certSANs: z.array(certSAN).default([]), audit: audit.prefault({}) })
        .prefault({}),
      controllerManager: component.prefault({}),
      scheduler: component.prefault({}),
      kubelet: kubelet.prefault({}),
      kubeProxy: z
        .strictObject({
          mode: z.enum(['ipvs', 'iptables', 'nftables'], { error: 'is not a kube-proxy mode; use ipvs, iptables or nftables' }).default('ipvs'),
          ipvsScheduler: z.enum(['rr', 'wrr', 'lc', 'wlc', 'sh', 'dh', 'sed', 'nq']).default('rr'),
        })
        .prefault({}),
      system: system.prefault({}),
      controlPlane: z
        .strictObject({
          /** Let ordinary pods run on control planes (the control-plane taint is removed). */
          untaint: z.boolean().default(false),
        })
        .prefault({}),
      workers: z.strictObject({ concurrency: z.number().int().min(1).max(1000).default(10) }).prefault({}),
      certificates: certificates.optional(),
    }),
  })
  .describe('hakube cluster spec (cluster.yaml)');

export type ClusterInput = z.input<typeof ClusterSchema>;
export type ClusterParsed = z.output<typeof ClusterSchema>;
export type HostSpec = ClusterParsed['spec']['hosts'][number];
export type Role = (typeof ROLES)[number];
