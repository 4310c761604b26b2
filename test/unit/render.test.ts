/**
 * Renderers against golden files (test/golden/<example>/<name>), plus the arithmetic and
 * invariants a golden file cannot show. Regenerate goldens after an intended change with
 * HAKUBE_UPDATE_GOLDEN=1 bash scripts/test.sh test/unit/render.test.ts, and review the diff.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { parseSpec } from '../../src/spec/parse';
import type { Cluster } from '../../src/spec/types';
import { hostByName } from '../../src/spec/topology';
import { renderAuditPolicy, renderKubeadmConfig, apiServerCertSANs } from '../../src/render/kubeadm';
import { renderHaproxyCfg } from '../../src/render/haproxy';
import { keepalivedPriorities, renderKeepalivedCheck, renderKeepalivedConf } from '../../src/render/keepalived';
import { renderNginxConf, renderNginxUnit } from '../../src/render/nginx';
import { renderHaproxyManifest, renderKeepalivedManifest } from '../../src/render/static-pods';
import { renderReloadScript } from '../../src/render/reload';
import { lbDriver } from '../../src/drivers/lb';
import { renderEtcdCertScript, renderEtcdConfig, renderEtcdHealthScript, renderEtcdUnit } from '../../src/render/etcd';
import { renderFlannelManifest } from '../../src/render/flannel';
import {
  ETCD_PACKAGES,
  KUBE_PACKAGES,
  NGINX_PACKAGES,
  renderContainerdScript,
  renderKubeletScript,
  renderModulesLoad,
  renderPackagesScript,
  renderSysctlConf,
  renderUnitApplyScript,
  renderUnitOkScript,
} from '../../src/render/system';
import { renderHealthzScript, renderTestWorkload, renderTestWorkloadScript, renderVipDrillScript } from '../../src/render/verify';
import { renderEtcdMemberRemoveScript, renderJoinResetScript } from '../../src/render/reset';
import { ETCD_DRIVERS } from '../../src/drivers/etcd';

const externalEtcdCerts = ETCD_DRIVERS.external.clientCerts;
const stackedEtcdCerts = ETCD_DRIVERS.stacked.clientCerts;

const GOLDEN = 'test/golden';
const update = process.env.HAKUBE_UPDATE_GOLDEN === '1';
const load = (name: string) => parseSpec(readFileSync(`examples/${name}.yaml`, 'utf8'), name);

function golden(example: string, name: string, actual: string): void {
  const path = join(GOLDEN, example, name);
  if (update) {
    mkdirSync(join(GOLDEN, example), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `missing golden file ${path} (HAKUBE_UPDATE_GOLDEN=1 creates it)`);
  assert.equal(actual, readFileSync(path, 'utf8'), `${path} differs from the rendered output`);
}

const vip = load('ha-vip');
const lp = load('ha-local-proxy');

test('golden: the VIP topology (stacked etcd, VIP)', () => {
  const m1 = hostByName(vip, 'm1');
  const m2 = hostByName(vip, 'm2');
  const cfg = renderHaproxyCfg(vip);
  const files: Record<string, string> = {
    'kubeadm.yaml': renderKubeadmConfig(vip),
    'audit-policy.yaml': renderAuditPolicy(vip),
    'haproxy.cfg': cfg,
    'haproxy.cfg.without-m2': renderHaproxyCfg(vip, 'm2'),
    'haproxy.yaml': renderHaproxyManifest(vip),
    'keepalived-m1.conf': renderKeepalivedConf(vip, m1),
    'keepalived-m2.conf': renderKeepalivedConf(vip, m2),
    'keepalived-m1.yaml': renderKeepalivedManifest(vip),
    'lb-reload.sh': renderReloadScript(),
    'check_apiserver.sh': renderKeepalivedCheck(vip),
    'kube-flannel.yaml': renderFlannelManifest(vip),
    'packages.sh': renderPackagesScript(vip, KUBE_PACKAGES),
    'containerd.sh': renderContainerdScript(vip),
    'kubelet.sh': renderKubeletScript(),
    'sysctl.conf': renderSysctlConf(vip),
    'modules-load.conf': renderModulesLoad(vip),
    'verify-healthz.sh': renderHealthzScript(vip),
    'verify-vip.sh': renderVipDrillScript(vip),
    'verify-etcd.sh': renderEtcdHealthScript(vip, stackedEtcdCerts, 'https://10.30.12.203:2379,https://10.30.12.204:2379,https://10.30.12.205:2379'),
    'join-reset-master.sh': renderJoinResetScript(true, vip.spec.etcd.dataDir),
    'join-reset-worker.sh': renderJoinResetScript(false, vip.spec.etcd.dataDir),
    'etcd-member-remove-m2.sh': renderEtcdMemberRemoveScript(m2),
  };
  for (const [name, content] of Object.entries(files)) golden('ha-vip', name, content);
});

test('golden: the local-proxy topology (external etcd, nginx local proxy)', () => {
  const k1 = hostByName(lp, 'k1');
  const files: Record<string, string> = {
    'kubeadm.yaml': renderKubeadmConfig(lp),
    'nginx.conf': renderNginxConf(lp),
    'nginx.conf.without-k2': renderNginxConf(lp, 'k2'),
    'kube-apiserver-proxy.service': renderNginxUnit(),
    'etcd-certs.sh': renderEtcdCertScript(lp),
    'etcd-k1.conf.yml': renderEtcdConfig(lp, k1),
    'etcd.service': renderEtcdUnit(),
    'etcd-health.sh': renderEtcdHealthScript(lp, externalEtcdCerts),
    'packages-k1.sh': renderPackagesScript(lp, [...KUBE_PACKAGES, ...ETCD_PACKAGES, ...NGINX_PACKAGES]),
    'unit-apply.sh': renderUnitApplyScript(),
    'unit-ok.sh': renderUnitOkScript(),
    'verify-workload.yaml': renderTestWorkload(lp),
    'verify-workload.sh': renderTestWorkloadScript(lp, '/etc/hakube/verify-workload.yaml'),
    'verify-healthz.sh': renderHealthzScript(lp),
    'join-reset-master.sh': renderJoinResetScript(true, undefined),
  };
  for (const [name, content] of Object.entries(files)) golden('ha-local-proxy', name, content);
});

/** A spec with n control planes behind a VIP, to exercise the keepalived arithmetic. */
function vipCluster(n: number, step: number, nopreempt: boolean, base = 100): Cluster {
  return parseSpec(
    stringify({
      apiVersion: 'hakube.io/v1alpha1',
      kind: 'Cluster',
      metadata: { name: `kv${n}` },
      spec: {
        hosts: Array.from({ length: n }, (_, i) => ({ name: `m${i + 1}`, address: `10.1.0.${i + 10}`, roles: ['control-plane'] })),
        loadBalancer: { type: 'vip', vip: '10.1.0.250', interface: 'eth0', keepalived: { priorityStep: step, nopreempt, priorityBase: base } },
      },
    }),
  );
}

test('keepalived: a failing master always drops below every healthy backup (preemptive mode)', () => {
  for (let n = 1; n <= 9; n++) {
    for (const step of [1, 2, 5]) {
      const c = vipCluster(n, step, false);
      const plan = keepalivedPriorities(c);
      assert.equal(plan.length, n);
      assert.equal(new Set(plan.map((p) => p.priority)).size, n, 'priorities are distinct');
      for (const failing of plan) {
        const demoted = failing.priority - failing.weight;
        assert.ok(demoted >= 1, `demoted priority ${demoted} stays in keepalived's range`);
        for (const healthy of plan.filter((p) => p.host !== failing.host)) {
          assert.ok(demoted < healthy.priority, `n=${n} step=${step}: ${failing.host} failing (${demoted}) must be below ${healthy.host} (${healthy.priority})`);
        }
      }
      // Seed 001's own numbers: 3 masters, step 2 -> 100, 98, 96 and weight 5.
      if (n === 3 && step === 2) assert.deepEqual(plan.map((p) => [p.priority, p.weight]), [[100, 5], [98, 5], [96, 5]]);
      const conf = renderKeepalivedConf(c, hostByName(c, plan[n - 1].host));
      assert.match(conf, new RegExp(`priority ${plan[n - 1].priority}\\n`));
      assert.match(conf, new RegExp(`weight -${plan[0].weight}\\n`));
      assert.doesNotMatch(conf, /nopreempt/);
    }
  }
});

test('keepalived: with nopreempt a failing check means FAULT (weight 0), which releases the VIP', () => {
  const c = vipCluster(3, 1, true);
  const plan = keepalivedPriorities(c);
  assert.deepEqual(plan.map((p) => [p.priority, p.weight]), [[100, 0], [99, 0], [98, 0]]);
  const conf = renderKeepalivedConf(c, hostByName(c, 'm1'));
  assert.match(conf, /nopreempt/);
  assert.match(conf, /state BACKUP/);
  assert.doesNotMatch(conf, /weight/);
  assert.match(conf, /unicast_peer \{\n\s+10\.1\.0\.11\n\s+10\.1\.0\.12\n\s+\}/);
});

test('keepalived: a priority base too low for the arithmetic is rejected', () => {
  assert.throws(() => vipCluster(5, 2, false, 9), /keepalived\.priorityBase: 9 is too low.*at least 10/);
  assert.doesNotThrow(() => vipCluster(5, 2, false, 10));
});

test('haproxy: check-ssl verify none, long timeouts, every control plane as backend', () => {
  const cfg = renderHaproxyCfg(vip);
  assert.match(cfg, /bind \*:8443/);
  for (const a of ['10.30.12.203', '10.30.12.204', '10.30.12.205']) assert.match(cfg, new RegExp(`${a}:6443 check check-ssl verify none`));
  assert.doesNotMatch(cfg, /ssl-hello-chk/);
  assert.match(cfg, /timeout client 4h/);
  assert.match(cfg, /timeout server 4h/);
  assert.doesNotMatch(renderHaproxyCfg(vip, 'm2'), /10\.30\.12\.204/);
});

test('a new backend list is reloaded in place: the manifests stay the same (a new one restarts the pod), the reload step signals the daemons', () => {
  const bigger = { ...vip, spec: { ...vip.spec, hosts: [...vip.spec.hosts, { ...hostByName(vip, 'm3'), name: 'm4', address: '10.30.12.206' }] } };
  const d = lbDriver(vip);
  for (const [a, b] of [
    [d.setupStep(vip, hostByName(vip, 'm1')), d.setupStep(bigger, hostByName(bigger, 'm1'))],
    [d.backendsStep(vip, hostByName(vip, 'm1'), 'lb', 'b', 't'), d.backendsStep(vip, hostByName(vip, 'm1'), 'lb', 'b', 't', 'm3')],
  ]) {
    const content = (s: typeof a, path: string) => s.files.find((f) => f.path === path)?.content;
    assert.notEqual(content(a, '/etc/haproxy/haproxy.cfg'), content(b, '/etc/haproxy/haproxy.cfg'));
    assert.equal(content(a, '/etc/kubernetes/manifests/haproxy.yaml'), content(b, '/etc/kubernetes/manifests/haproxy.yaml'));
    assert.equal(content(a, '/etc/kubernetes/manifests/keepalived.yaml'), content(b, '/etc/kubernetes/manifests/keepalived.yaml'));
    assert.deepEqual(b.check?.argv.slice(2, 6), ['check', 'haproxy', 'USR2', '/etc/haproxy/haproxy.cfg']);
    assert.deepEqual(b.commands.map((c) => c.argv.slice(2, 6)), [['reload', 'haproxy', 'USR2', '/etc/haproxy/haproxy.cfg']]);
  }
  assert.ok(d.setupStep(vip, hostByName(vip, 'm1')).check?.argv.join(' ').includes('keepalived HUP /etc/keepalived/keepalived.conf'));
  const pod = parseAllDocuments(renderHaproxyManifest(vip))[0].toJS();
  assert.equal(pod.spec.hostNetwork, true);
  assert.deepEqual(pod.spec.containers[0].command.slice(0, 2), ['haproxy', '-W'], 'master-worker mode: SIGUSR2 reloads');
  // The directory, not the file: a config replaced by rename stays visible inside the container.
  assert.deepEqual(pod.spec.volumes[0].hostPath, { path: '/etc/haproxy', type: 'Directory' });
  assert.equal(pod.spec.containers[0].volumeMounts[0].mountPath, pod.spec.volumes[0].hostPath.path);
});

test('nginx: listens on loopback only, forwards to every apiserver on the bind port', () => {
  const conf = renderNginxConf(lp);
  assert.match(conf, /listen 127\.0\.0\.1:6443;/);
  for (const a of ['172.16.10.21', '172.16.10.22', '172.16.10.23']) assert.match(conf, new RegExp(`server ${a}:5443 `));
  assert.doesNotMatch(conf, /172\.16\.10\.2[45]/);
  assert.doesNotMatch(renderNginxConf(lp, 'k2'), /172\.16\.10\.22/);
});

test('kubeadm config: endpoint, SANs, etcd by topology, bind port, swap tolerance', () => {
  const docs = (c: Cluster) => parseAllDocuments(renderKubeadmConfig(c)).map((d) => d.toJS());
  const [init, cluster, kubelet, proxy] = docs(lp);
  assert.deepEqual([init.kind, cluster.kind, kubelet.kind, proxy.kind], ['InitConfiguration', 'ClusterConfiguration', 'KubeletConfiguration', 'KubeProxyConfiguration']);
  assert.equal(init.apiVersion, 'kubeadm.k8s.io/v1beta4');
  assert.deepEqual(init.localAPIEndpoint, { advertiseAddress: '172.16.10.21', bindPort: 5443 });
  assert.equal(cluster.controlPlaneEndpoint, '127.0.0.1:6443');
  assert.deepEqual(cluster.etcd.external.endpoints, ['https://172.16.10.21:2379', 'https://172.16.10.22:2379', 'https://172.16.10.23:2379']);
  assert.equal(kubelet.failSwapOn, false);
  assert.deepEqual(init.nodeRegistration.taints, []);
  assert.equal(proxy.mode, 'ipvs');
  assert.equal(kubelet.clusterDNS[0], '10.25.0.10');

  const [vInit, vCluster, vKubelet] = docs(vip);
  assert.equal(vCluster.controlPlaneEndpoint, '10.30.12.249:8443');
  assert.deepEqual(vCluster.etcd, { local: { dataDir: '/var/lib/etcd' } });
  assert.equal(vKubelet.failSwapOn, undefined);
  assert.equal(vInit.nodeRegistration.ignorePreflightErrors, undefined);
  assert.equal(vInit.nodeRegistration.taints, undefined);
  const slow = parseSpec(readFileSync('examples/ha-vip.yaml', 'utf8').replace('topology: stacked', 'topology: stacked\n    heartbeatInterval: 1000\n    electionTimeout: 5000'));
  assert.deepEqual(docs(slow)[1].etcd.local.extraArgs, [{ name: 'heartbeat-interval', value: '1000' }, { name: 'election-timeout', value: '5000' }]);
  const sans = apiServerCertSANs(vip);
  for (const s of ['10.30.12.249', '127.0.0.1', 'm1', '10.30.12.205']) assert.ok(sans.includes(s), s);
});

test('flannel manifest carries the pod subnet and backend', () => {
  const docs = parseAllDocuments(renderFlannelManifest(lp)).map((d) => d.toJS());
  const cm = docs.find((d) => d.kind === 'ConfigMap');
  const net = JSON.parse(cm.data['net-conf.json']);
  assert.equal(net.Network, '10.30.0.0/16');
  assert.equal(net.Backend.Type, 'host-gw');
  assert.ok(docs.some((d) => d.kind === 'DaemonSet'));
});
