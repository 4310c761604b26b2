/** stacked (the VIP runbook): kubeadm runs one etcd member on each control plane. */
import { KUBEADM_ETCD_CA, KUBEADM_ETCD_CLIENT_CERT, KUBEADM_ETCD_CLIENT_KEY } from '../../render/paths';
import { renderEtcdMemberRemoveScript } from '../../render/reset';
import { quorum } from '../../spec/topology';
import { runScript, script, step } from '../../phases/step';
import type { EtcdDriver } from './types';

const args = (m: Record<string, string>) => Object.entries(m).map(([name, value]) => ({ name, value }));

export const stacked: EtcdDriver = {
  stacked: true,
  wipeSteps: () => [],
  wipeSkipReason: () => 'etcd is stacked: each member and its data went with its control plane (kubeadm reset)',
  initPhases: [['etcd', 'local']],
  controlPlaneManifests: ['etcd'],
  localMemberCerts: { ca: KUBEADM_ETCD_CA, cert: '/etc/kubernetes/pki/etcd/healthcheck-client.crt', key: '/etc/kubernetes/pki/etcd/healthcheck-client.key' },
  skipReason: () => 'etcd is stacked: kubeadm runs a member on each control plane (init and join-masters)',
  phaseHosts: () => [],
  phaseSteps: () => [],
  // kubeadm's local etcd: the data dir, and the runbook's optional longer timings when set.
  kubeadmEtcd(c) {
    const e = c.spec.etcd;
    const extra: Record<string, string> = {};
    if (e.heartbeatInterval !== 100) extra['heartbeat-interval'] = String(e.heartbeatInterval);
    if (e.electionTimeout !== 1000) extra['election-timeout'] = String(e.electionTimeout);
    return { local: { dataDir: e.dataDir, ...(Object.keys(extra).length ? { extraArgs: args(extra) } : {}) } };
  },
  resetArgv: () => ['kubeadm', 'reset', '-f'],
  resetDataDir: (c) => c.spec.etcd.dataDir,
  memberRemovalSteps: (_c, h, m0, phase, slug, title) => [
    step(phase, m0.name, slug, title, {
      files: [script(`etcd-member-remove-${h.name}`, renderEtcdMemberRemoveScript(h))],
      commands: [runScript(`etcd-member-remove-${h.name}`)],
    }),
  ],
  // The control plane's own member answers for the cluster.
  memberListArgv: () => ['etcdctl', '--endpoints', 'https://127.0.0.1:2379', '--cacert', KUBEADM_ETCD_CA, '--cert', KUBEADM_ETCD_CLIENT_CERT, '--key', KUBEADM_ETCD_CLIENT_KEY, '--command-timeout', '10s', 'member', 'list'],
  clientCerts: { ca: KUBEADM_ETCD_CA, cert: KUBEADM_ETCD_CLIENT_CERT, key: KUBEADM_ETCD_CLIENT_KEY },
  joinNote: (_c, i) => `quorum ${quorum(i)}/${i} after`,
  cleanupSteps: () => [],
  packages: () => [],
  ownCertificates: () => [],
  // kubeadm certs renew all renews the local members' certificates with the rest.
  renewSteps: () => [],
};
