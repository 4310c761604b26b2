/**
 * external (the local-proxy runbook, section 4): etcd members on their own hosts under systemd.
 * The first member makes the PKI, then each member gets its certificates, config and unit and
 * is started, one at a time, and the last one checks the cluster's health; control planes that
 * are not members get the apiserver's client certificate. Steps are ordered so that running
 * them host by host, in the phase's host order, is correct.
 */
import { ETCD_CA, ETCD_CLIENT_CERT, ETCD_CLIENT_KEY, ETCD_CONFIG, ETCD_PKI, ETCD_UNIT } from '../../render/paths';
import { etcdClientUrls, memberCertDir, renderEtcdCertScript, renderEtcdConfig, renderEtcdHealthScript, renderEtcdUnit } from '../../render/etcd';
import { RENEW_IN, RENEW_OUT, RENEWED, renderEtcdMemberCurrentScript, renderEtcdMemberRenewScript, renderEtcdResignScript } from '../../render/etcd-renew';
import type { RenewOptions } from '../../phases/renew-options';
import { ETCD_PACKAGES } from '../../render/system';
import { renderUnitTeardownScript } from '../../render/reset';
import { controlPlanes, etcdHosts, quorum } from '../../spec/topology';
import type { Cluster, HostSpec } from '../../spec/types';
import type { PlannedFile, PlannedStep } from '../../plan/types';
import { cmd, copied, file, runScript, script, step } from '../../phases/step';
import { unitScripts } from '../units';
import type { EtcdDriver } from './types';

export const externalEtcdCerts = { ca: ETCD_CA, cert: ETCD_CLIENT_CERT, key: ETCD_CLIENT_KEY };

/** ca.crt and the apiserver's client cert/key, copied from the first member to another host. */
function clientCertFiles(first: HostSpec): PlannedFile[] {
  return [
    copied(ETCD_CA, first.name, ETCD_CA, '0644'),
    copied(ETCD_CLIENT_CERT, first.name, ETCD_CLIENT_CERT, '0644'),
    copied(ETCD_CLIENT_KEY, first.name, ETCD_CLIENT_KEY, '0600', true),
  ];
}

function etcdSteps(c: Cluster): PlannedStep[] {
  const members = etcdHosts(c);
  const first = members[0];
  const steps: PlannedStep[] = [
    step('etcd', first.name, 'pki', `etcd PKI with openssl: CA, server/peer certs for ${members.map((m) => m.name).join(', ')}, apiserver client cert`, {
      files: [script('etcd-certs', renderEtcdCertScript(c))],
      commands: [runScript('etcd-certs')],
    }),
  ];
  members.forEach((m, i) => {
    const src = memberCertDir(m.name);
    const certs: PlannedFile[] = [
      ...(m.name === first.name ? [] : [copied(ETCD_CA, first.name, ETCD_CA, '0644')]),
      copied(`${ETCD_PKI}/server.crt`, first.name, `${src}/server.crt`, '0644'),
      copied(`${ETCD_PKI}/server.key`, first.name, `${src}/server.key`, '0600', true),
      copied(`${ETCD_PKI}/peer.crt`, first.name, `${src}/peer.crt`, '0644'),
      copied(`${ETCD_PKI}/peer.key`, first.name, `${src}/peer.key`, '0600', true),
    ];
    if (m.name !== first.name && controlPlanes(c).some((h) => h.name === m.name)) certs.push(...clientCertFiles(first).filter((f) => f.path !== ETCD_CA));
    steps.push(
      step('etcd', m.name, 'member', `etcd member ${i + 1} of ${members.length}: certificates, config, systemd unit, start`, {
        files: [...certs, file(ETCD_CONFIG, renderEtcdConfig(c, m)), file(ETCD_UNIT, renderEtcdUnit()), ...unitScripts()],
        check: runScript('unit-ok', 'etcd', ETCD_CONFIG, ETCD_UNIT),
        commands: [runScript('unit-apply', 'etcd', ETCD_CONFIG, ETCD_UNIT)],
      }),
    );
  });
  for (const cp of controlPlanes(c).filter((h) => !members.some((m) => m.name === h.name))) {
    steps.push(step('etcd', cp.name, 'client-certs', 'etcd CA and apiserver client certificate for kubeadm', { files: clientCertFiles(first) }));
  }
  // Executors take a phase host by host, so health goes last on the last member, once every
  // member has started. Member certificates are also client certificates: no extra copy needed.
  const last = members[members.length - 1];
  const memberCerts = { ca: ETCD_CA, cert: `${ETCD_PKI}/server.crt`, key: `${ETCD_PKI}/server.key` };
  steps.splice(1 + members.length, 0,
    step('etcd', last.name, 'health', `etcd health: every member healthy (etcdctl endpoint health, member list)`, {
      files: [script('etcd-health', renderEtcdHealthScript(c, memberCerts))],
      commands: [runScript('etcd-health')],
    }),
  );
  return steps;
}

/**
 * Renewal, member by member: the first member (the only holder of the CA key) re-signs every
 * member's current certificates, copied in, and the apiserver's client certificate; then each
 * member takes its own, restarts and gates on quorum, one at a time; control planes that are not
 * members take the client certificate (their apiserver loads it when renew-certs restarts it).
 */
function renewSteps(c: Cluster, o: RenewOptions): PlannedStep[] {
  const members = etcdHosts(c);
  const first = members[0];
  const cps = controlPlanes(c);
  const isCp = (h: HostSpec) => cps.some((p) => p.name === h.name);
  const inputs: PlannedFile[] = [
    ...members.flatMap((m) => ['server', 'peer'].map((k) => copied(`${RENEW_IN}/${m.name}/${k}.crt`, m.name, `${ETCD_PKI}/${k}.crt`, '0644'))),
    ...(cps.length ? [copied(`${RENEW_IN}/apiserver-etcd-client.crt`, first.name, ETCD_CLIENT_CERT, '0644')] : []),
  ];
  const threshold = o.force ? 'force' : String(o.renewBeforeSeconds);
  const endpoints = etcdClientUrls(c);
  const q = String(quorum(members.length));
  const clientCert = copied(ETCD_CLIENT_CERT, first.name, `${RENEW_OUT}/apiserver-etcd-client.crt`, '0644');
  return [
    step('renew-etcd', first.name, 'sign', `re-sign the etcd certificates with the etcd CA${o.force ? ' (--force)' : ` that expire within ${o.renewBeforeSeconds} s`}; keep the others`, {
      files: [...inputs, script('etcd-resign', renderEtcdResignScript(c))],
      commands: [runScript('etcd-resign', threshold)],
    }),
    ...members.map((m, i) => {
      const at = `${m.address}:2379`;
      return step('renew-etcd', m.name, 'member', `etcd member ${i + 1} of ${members.length}: renewed certificates in place, restart, serve them, quorum ${q}/${members.length}`, {
        files: [
          copied(`${RENEWED}/server.crt`, first.name, `${RENEW_OUT}/${m.name}/server.crt`, '0644'),
          copied(`${RENEWED}/peer.crt`, first.name, `${RENEW_OUT}/${m.name}/peer.crt`, '0644'),
          ...(isCp(m) ? [clientCert] : []),
          script('etcd-renew-current', renderEtcdMemberCurrentScript()),
          script('etcd-renew-member', renderEtcdMemberRenewScript()),
        ],
        check: runScript('etcd-renew-current', m.name, at, endpoints, q),
        commands: [runScript('etcd-renew-member', m.name, at, endpoints, q)],
        timeoutSeconds: 300,
      });
    }),
    ...cps
      .filter((h) => !members.some((m) => m.name === h.name))
      .map((h) => step('renew-etcd', h.name, 'client-cert', "the apiserver's renewed etcd client certificate", { files: [clientCert] })),
  ];
}

export const external: EtcdDriver = {
  stacked: false,
  wipeSteps: (c, phase) =>
    etcdHosts(c).map((h) =>
      step(phase, h.name, 'etcd', `stop etcd and delete its data (${c.spec.etcd.dataDir}) and PKI`, {
        files: [script('etcd-teardown', renderUnitTeardownScript('etcd', ETCD_UNIT, [ETCD_CONFIG, ETCD_PKI, c.spec.etcd.dataDir]))],
        commands: [runScript('etcd-teardown')],
      }),
    ),
  wipeSkipReason: (_c, wipe) => (wipe ? undefined : 'the external etcd cluster and its data are kept (pass --wipe-etcd to delete them)'),
  initPhases: [],
  controlPlaneManifests: [],
  skipReason: () => undefined,
  phaseHosts(c) {
    const names = etcdHosts(c).map((h) => h.name);
    return [...names, ...controlPlanes(c).map((h) => h.name).filter((n) => !names.includes(n))];
  },
  phaseSteps: etcdSteps,
  kubeadmEtcd: (c) => ({ external: { endpoints: etcdHosts(c).map((h) => `https://${h.address}:2379`), caFile: ETCD_CA, certFile: ETCD_CLIENT_CERT, keyFile: ETCD_CLIENT_KEY } }),
  /**
   * kubeadm 1.34's reset falls back to the default etcd data dir (/var/lib/etcd) when it finds no
   * etcd manifest and cannot read the cluster's config, which is the case after a failed join:
   * on a host that is also an external etcd member it would wipe that member's data. kubeadm does
   * not own etcd under the external topology, so its etcd phase is skipped there.
   */
  resetArgv: () => ['kubeadm', 'reset', '-f', '--skip-phases=remove-etcd-member'],
  resetDataDir: () => undefined,
  memberRemovalSteps: () => [],
  // Every control plane holds the apiserver's client certificate for the external members.
  memberListArgv: (c) => ['etcdctl', '--endpoints', etcdHosts(c).map((h) => `https://${h.address}:2379`).join(','), '--cacert', ETCD_CA, '--cert', ETCD_CLIENT_CERT, '--key', ETCD_CLIENT_KEY, '--command-timeout', '10s', 'member', 'list'],
  clientCerts: externalEtcdCerts,
  joinNote: (c) => `external etcd quorum ${quorum(etcdHosts(c).length)}/${etcdHosts(c).length} unaffected`,
  cleanupSteps: (c) => [
    step('cleanup', etcdHosts(c)[0].name, 'etcd-member-keys', "remove the other members' etcd keys kept on the first member", { commands: [cmd('rm', '-rf', `${ETCD_PKI}/members`)] }),
  ],
  packages: (c, h) => (etcdHosts(c).some((e) => e.name === h.name) ? ETCD_PACKAGES : []),
  // The etcd PKI is hakube's own (openssl on the first member): members hold the CA, server and
  // peer certificates, control planes the apiserver's client certificate.
  renewSteps,
  ownCertificates: (c, h) => [
    ...(etcdHosts(c).some((e) => e.name === h.name)
      ? [
          { name: 'etcd-ca', path: ETCD_CA, ca: '' },
          { name: 'etcd-server', path: `${ETCD_PKI}/server.crt`, ca: 'etcd-ca' },
          { name: 'etcd-peer', path: `${ETCD_PKI}/peer.crt`, ca: 'etcd-ca' },
        ]
      : []),
    ...(controlPlanes(c).some((p) => p.name === h.name) ? [{ name: 'apiserver-etcd-client', path: ETCD_CLIENT_CERT, ca: 'etcd-ca' }] : []),
  ],
};
