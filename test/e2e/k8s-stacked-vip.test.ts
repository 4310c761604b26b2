/**
 * Seed 001 by hand over plain SSH on a 3-master lab: keepalived + haproxy as static pods behind a
 * VIP, `kubeadm init --upload-certs` on master0 with the VIP endpoint, control-plane joins on the
 * other two (the real kubeadm, its real etcd member adds), flannel, then the seed's checks: etcd
 * members, the VIP, and three Ready nodes seen from every master.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, TestLab } from '../helpers/lab';
import { ADMIN, commandRuns, fixture, joinCommands, nodeStatuses, ok, prepHost, put, sh, until } from '../fixtures/k8s/handwork';

const MASTERS = ['master0', 'master1', 'master2'];

describe('the VIP runbook by hand: stacked etcd behind a keepalived/haproxy VIP', () => {
  let lab: TestLab;
  let vip: string;

  before(async () => {
    lab = await startLab({ prefix: 'k8svip', hosts: MASTERS, vip: true });
    vip = lab.vip!;
    const servers = MASTERS.map((m) => `        server ${m} ${lab.address[m]}:6443 check check-ssl verify none`).join('\n');
    await Promise.all(MASTERS.map(async (m, i) => {
      await prepHost(lab, m);
      await put(lab, m, '/root/kubeadm.yaml', fixture('kubeadm-stacked.yaml', { ADDRESS: lab.address[m], NAME: m, VIP: vip }));
      await put(lab, m, '/etc/keepalived/keepalived.conf', fixture('keepalived.conf', { ROUTER_ID: m, VRID: '51', PRIORITY: String(100 - 2 * i), VIP: vip }));
      await put(lab, m, '/etc/keepalived/check_apiserver.sh', fixture('check_apiserver.sh', { VIP: vip }), '755');
      await put(lab, m, '/etc/haproxy/haproxy.cfg', fixture('haproxy.cfg', { SERVERS: servers }));
      await put(lab, m, '/etc/kubernetes/manifests/keepalived.yaml', fixture('keepalived.yaml'));
      await put(lab, m, '/etc/kubernetes/manifests/haproxy.yaml', fixture('haproxy.yaml'));
    }));
  });
  after(async () => {
    await lab?.down();
  });

  let joins: { controlPlane: string; worker: string };

  it('initialises master0 against the VIP endpoint and uploads the certificates', async () => {
    const r = await ok(lab, 'master0', 'kubeadm init --config /root/kubeadm.yaml --upload-certs');
    assert.match(r.stdout, /Your Kubernetes control-plane has initialized successfully!/);
    assert.match(r.stdout, /\[upload-certs\] Using certificate key:\n[0-9a-f]{64}\n/);
    joins = joinCommands(r.stdout);
    assert.ok(joins.controlPlane.startsWith(`kubeadm join ${vip}:8443 --token `), joins.controlPlane);
    // real files from the real kubeadm
    await ok(lab, 'master0', 'openssl x509 -noout -in /etc/kubernetes/pki/apiserver.crt -ext subjectAltName | grep -q ' + vip);
  });

  it('joins master1 and master2 as control planes, each adding a real etcd member', async () => {
    for (const m of ['master1', 'master2']) {
      const r = await ok(lab, m, `${joins.controlPlane} --apiserver-advertise-address ${lab.address[m]} --ignore-preflight-errors=DirAvailable--etc-kubernetes-manifests`);
      assert.match(r.stdout, /This node has joined the cluster and a new control plane instance was created/);
      assert.match(r.stdout, /A new etcd member was added to the local\/stacked etcd cluster/);
    }
    const etcdctl = `ETCDCTL_API=3 etcdctl --endpoints https://${lab.address.master0}:2379 --cacert /etc/kubernetes/pki/etcd/ca.crt ` +
      '--cert /etc/kubernetes/pki/apiserver-etcd-client.crt --key /etc/kubernetes/pki/apiserver-etcd-client.key';
    const members = await ok(lab, 'master2', `${etcdctl} member list`);
    const lines = members.stdout.trim().split('\n');
    assert.equal(lines.length, 3, members.stdout);
    for (const m of MASTERS) assert.ok(lines.some((l) => l.includes(', started, ') && l.includes(`, ${m}, https://${lab.address[m]}:2380`)), members.stdout);
    const health = await ok(lab, 'master0', `${etcdctl.replace(`https://${lab.address.master0}:2379`, MASTERS.map((m) => `https://${lab.address[m]}:2379`).join(','))} endpoint health`);
    assert.equal((health.stdout + health.stderr).match(/is healthy/g)?.length, 3, health.stdout + health.stderr);
  });

  it('shows three Ready control-plane nodes on every master once flannel is applied', async () => {
    const before = nodeStatuses((await ok(lab, 'master0', `${ADMIN} get nodes`)).stdout);
    assert.deepEqual(Object.keys(before).sort(), MASTERS);
    assert.ok(Object.values(before).every((s) => s === 'NotReady'), JSON.stringify(before));
    await put(lab, 'master0', '/root/kube-flannel.yaml', fixture('kube-flannel.yaml'));
    const applied = await ok(lab, 'master0', `${ADMIN} apply -f /root/kube-flannel.yaml`);
    assert.match(applied.stdout, /daemonset.apps\/kube-flannel-ds created/);
    await ok(lab, 'master0', `${ADMIN} wait --for=condition=Ready node --all --timeout=60s`, 90_000);
    for (const m of MASTERS) {
      const r = await ok(lab, m, `${ADMIN} get nodes`);
      assert.deepEqual(nodeStatuses(r.stdout), { master0: 'Ready', master1: 'Ready', master2: 'Ready' }, `${m}:\n${r.stdout}`);
      assert.match(r.stdout, /master1\s+Ready\s+control-plane\s/);
    }
    // The last master's static pods turn Ready as their readiness probes pass: give them a minute.
    const want = ['etcd', 'kube-apiserver', 'haproxy', 'keepalived'].flatMap((p) => MASTERS.map((m) => new RegExp(`kube-system\\s+${p}-${m}\\s+1/1\\s+Running`)));
    let pods = await ok(lab, 'master1', `${ADMIN} get pods -A`);
    for (let i = 0; i < 60 && !want.every((re) => re.test(pods.stdout)); i++) {
      await new Promise((r) => setTimeout(r, 1000));
      pods = await ok(lab, 'master1', `${ADMIN} get pods -A`);
    }
    for (const re of want) assert.match(pods.stdout, re, pods.stdout);
  });

  it('serves the API through the VIP held by exactly one master, which moves when its keepalived pod goes', async () => {
    const holders = await until('the VIP', async () => {
      const held: string[] = [];
      for (const m of MASTERS) {
        const r = await sh(lab, m, `ip -4 -o addr show dev eth0 | grep -qw ${vip}`);
        if (r.code === 0) held.push(m);
      }
      return held.length === 1 ? held : undefined;
    });
    assert.equal(holders.length, 1);
    for (const m of MASTERS) {
      const r = await ok(lab, m, `curl -sk --max-time 5 https://${vip}:8443/healthz`);
      assert.equal(r.stdout, 'ok');
    }
    const info = await ok(lab, 'master2', `${ADMIN} cluster-info`);
    assert.match(info.stdout, new RegExp(`running at https://${vip.replace(/\./g, '\\.')}:8443`));

    // seed 001's failover check: moving keepalived's manifest away stops the static pod, the VIP
    // moves to another master and kubectl keeps working through it
    const holder = holders[0];
    await ok(lab, holder, 'mv /etc/kubernetes/manifests/keepalived.yaml /root/keepalived.yaml.off');
    const next = await until('the VIP to move', async () => {
      for (const m of MASTERS.filter((x) => x !== holder)) {
        if ((await sh(lab, m, `ip -4 -o addr show dev eth0 | grep -qw ${vip}`)).code === 0) return m;
      }
      return undefined;
    }, 30_000);
    assert.notEqual((await sh(lab, holder, `ip -4 -o addr show dev eth0 | grep -qw ${vip}`)).code, 0);
    const nodes = await ok(lab, holder, `${ADMIN} get nodes`);
    assert.equal(Object.keys(nodeStatuses(nodes.stdout)).length, 3, `${next}: ${nodes.stdout}`);
    await ok(lab, holder, 'mv /root/keepalived.yaml.off /etc/kubernetes/manifests/keepalived.yaml');
  });

  it('ran each kubeadm step exactly once per host', async () => {
    assert.equal((await commandRuns(lab, 'master0', 'kubeadm init --config')).length, 1);
    for (const m of ['master1', 'master2']) {
      const runs = await commandRuns(lab, m, 'kubeadm join');
      assert.equal(runs.length, 1, JSON.stringify(runs));
      // secrets are masked in the log
      assert.doesNotMatch(runs[0].argv, /[a-z0-9]{6}\.[a-z0-9]{16}/);
      assert.match(runs[0].argv, /--token \*\*\* .*--certificate-key \*\*\*/);
    }
  });
});
