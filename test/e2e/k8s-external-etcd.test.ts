/**
 * Seed 000 by hand over plain SSH: a real 3-member external etcd over mutual TLS (Debian's etcd
 * unit, seed 000's settings), an nginx stream proxy on every node (127.0.0.1:6443 -> the
 * apiservers on 5443), `kubeadm init` with external etcd, control-plane joins on k2/k3, a worker
 * join on k4, flannel and the masters untainted; every master then sees four Ready nodes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../lab/exec';
import { clusterDir } from '../../lab/paths';
import { startLab, TestLab } from '../helpers/lab';
import { ADMIN, fixture, joinCommands, nodeStatuses, ok, prepHost, put } from '../fixtures/k8s/handwork';

const MASTERS = ['k1', 'k2', 'k3'];
const HOSTS = [...MASTERS, 'k4'];
const SSL = '/etc/etcd/ssl';

/** One CA and one server+client certificate for all members, as seed 000's cfssl script makes. */
async function etcdPki(dir: string, addresses: string[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const o = (args: string[]) => run('openssl', args, { cwd: dir });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await o(['req', '-x509', ...ec, '-keyout', 'etcd-root-ca-key.pem', '-out', 'etcd-root-ca.pem', '-days', '2', '-subj', '/CN=etcd-root-ca']);
  await o(['req', ...ec, '-keyout', 'etcd-key.pem', '-out', 'etcd.csr', '-subj', '/O=etcd/CN=etcd']);
  const san = ['IP:127.0.0.1', 'DNS:localhost', ...addresses.map((a) => `IP:${a}`)].join(',');
  writeFileSync(join(dir, 'etcd.ext'), `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n`);
  await o(['x509', '-req', '-in', 'etcd.csr', '-CA', 'etcd-root-ca.pem', '-CAkey', 'etcd-root-ca-key.pem', '-CAcreateserial', '-out', 'etcd.pem', '-days', '2', '-extfile', 'etcd.ext']);
}

describe('the external-etcd runbook by hand: external etcd, nginx on every node, apiserver on 5443', () => {
  let lab: TestLab;
  const a = (h: string) => lab.address[h];

  before(async () => {
    lab = await startLab({ prefix: 'k8sext', hosts: HOSTS });
    const pki = join(clusterDir(lab.cluster), 'etcd-pki');
    await etcdPki(pki, MASTERS.map(a));
    const initial = MASTERS.map((m, i) => `etcd${i + 1}=https://${a(m)}:2380`).join(',');
    const upstreams = MASTERS.map((m) => `        server ${a(m)}:5443;`).join('\n');
    await Promise.all(HOSTS.map(async (h) => {
      await prepHost(lab, h);
      await put(lab, h, '/etc/kubernetes/apiserver-proxy.conf', fixture('apiserver-proxy.conf', { UPSTREAMS: upstreams }));
      await put(lab, h, '/lib/systemd/system/kube-apiserver-proxy.service', fixture('kube-apiserver-proxy.service'));
      await ok(lab, h, 'systemctl daemon-reload && systemctl enable kube-apiserver-proxy.service 2>/dev/null && systemctl start kube-apiserver-proxy.service');
    }));
    await Promise.all(MASTERS.map(async (m, i) => {
      for (const f of ['etcd-root-ca.pem', 'etcd.pem', 'etcd-key.pem']) {
        await put(lab, m, `${SSL}/${f}`, readFileSync(join(pki, f), 'utf8'), f.endsWith('key.pem') ? '600' : '644');
      }
      await put(lab, m, '/etc/default/etcd', fixture('etcd.default', { NAME: `etcd${i + 1}`, ADDRESS: a(m), INITIAL_CLUSTER: initial }));
      await put(lab, m, '/etc/kubernetes/audit-policy.yaml', fixture('audit-policy.yaml'));
      // members wait for each other: start without blocking on the others
      await ok(lab, m, 'systemctl enable --now etcd 2>/dev/null');
    }));
  });
  after(async () => {
    await lab?.down();
  });

  const etcdctl = () => `ETCDCTL_API=3 etcdctl --endpoints ${MASTERS.map((m) => `https://${a(m)}:2379`).join(',')} ` +
    `--cacert ${SSL}/etcd-root-ca.pem --cert ${SSL}/etcd.pem --key ${SSL}/etcd-key.pem`;

  it('runs a healthy 3-member etcd from the distribution unit', async () => {
    let health = await lab.ssh('k1', `${etcdctl()} endpoint health 2>&1`);
    for (let i = 0; i < 40 && (health.stdout.match(/is healthy/g) ?? []).length < 3; i++) {
      await new Promise((r) => setTimeout(r, 500));
      health = await lab.ssh('k1', `${etcdctl()} endpoint health 2>&1`);
    }
    assert.equal((health.stdout.match(/is healthy/g) ?? []).length, 3, health.stdout);
    const members = (await ok(lab, 'k2', `${etcdctl()} member list`)).stdout.trim().split('\n');
    assert.equal(members.length, 3);
    assert.equal((await ok(lab, 'k1', 'systemctl is-active etcd')).stdout.trim(), 'active');
  });

  let joins: { controlPlane: string; worker: string };

  it('initialises k1 with external etcd and the apiserver on 5443', async () => {
    const etcdEndpoints = MASTERS.map((m) => `    - "https://${a(m)}:2379"`).join('\n');
    const sans = MASTERS.map((m) => `  - "${a(m)}"`).join('\n');
    await put(lab, 'k1', '/root/kubeadm.yaml', fixture('kubeadm-external.yaml', { ADDRESS: a('k1'), NAME: 'k1', ETCD_ENDPOINTS: etcdEndpoints, CERT_SANS: sans }));
    const r = await ok(lab, 'k1', 'kubeadm init --config /root/kubeadm.yaml --upload-certs --ignore-preflight-errors=Swap');
    assert.match(r.stdout, /Your Kubernetes control-plane has initialized successfully!/);
    assert.match(r.stdout, /\[control-plane-check\] Checking kube-apiserver at https:\/\/[0-9.]+:5443\/livez/);
    assert.doesNotMatch(r.stdout, /\[etcd\] Creating static Pod manifest/);
    joins = joinCommands(r.stdout);
    assert.ok(joins.worker.startsWith('kubeadm join 127.0.0.1:6443 '), joins.worker);
    const manifest = (await ok(lab, 'k1', 'cat /etc/kubernetes/manifests/kube-apiserver.yaml; ls /etc/kubernetes/manifests')).stdout;
    assert.match(manifest, new RegExp(`--etcd-servers=${MASTERS.map((m) => `https://${a(m)}:2379`).join(',').replace(/\./g, '\\.')}`));
    assert.doesNotMatch(manifest, /etcd\.yaml/);
    assert.equal((await ok(lab, 'k1', `curl -sk --max-time 5 https://${a('k1')}:5443/healthz`)).stdout, 'ok');
  });

  it('joins k2 and k3 as control planes on 5443 and k4 as a worker, all through their local nginx', async () => {
    for (const m of ['k2', 'k3']) {
      const r = await ok(lab, m, `${joins.controlPlane} --apiserver-advertise-address ${a(m)} --apiserver-bind-port 5443 --ignore-preflight-errors=Swap`);
      assert.match(r.stdout, /This node has joined the cluster and a new control plane instance was created/);
      // external etcd: no member added, the certificates came from the kubeadm-certs secret
      assert.doesNotMatch(r.stdout, /etcd member/);
      await ok(lab, m, `test -s ${SSL}/etcd.pem && curl -sk --max-time 5 https://${a(m)}:5443/healthz`);
    }
    const w = await ok(lab, 'k4', `${joins.worker} --ignore-preflight-errors=Swap`);
    assert.match(w.stdout, /This node has joined the cluster:/);
    assert.equal((await ok(lab, 'k4', 'curl -sk --max-time 5 https://127.0.0.1:6443/healthz')).stdout, 'ok');
    assert.equal((await ok(lab, 'k1', `${etcdctl()} member list`)).stdout.trim().split('\n').length, 3);
  });

  it('has four Ready nodes on every master after flannel, with the masters untainted', async () => {
    await put(lab, 'k1', '/root/kube-flannel.yaml', fixture('kube-flannel.yaml'));
    await ok(lab, 'k1', `${ADMIN} apply -f /root/kube-flannel.yaml`);
    await ok(lab, 'k1', `${ADMIN} wait --for=condition=Ready node --all --timeout=60s`, 90_000);
    const untaint = await ok(lab, 'k1', `${ADMIN} taint nodes -l node-role.kubernetes.io/control-plane node-role.kubernetes.io/control-plane-`);
    for (const m of MASTERS) assert.match(untaint.stdout, new RegExp(`node/${m} untainted`));
    for (const m of MASTERS) {
      const r = await ok(lab, m, `${ADMIN} get nodes`);
      assert.deepEqual(nodeStatuses(r.stdout), { k1: 'Ready', k2: 'Ready', k3: 'Ready', k4: 'Ready' }, `${m}:\n${r.stdout}`);
      assert.match(r.stdout, /^k4\s+Ready\s+<none>\s/m);
    }
    const k1 = JSON.parse((await ok(lab, 'k2', `${ADMIN} get node k1 -o json`)).stdout) as { spec: { taints?: unknown[] } };
    assert.deepEqual(k1.spec.taints ?? [], [], 'k1 has no taints left');
  });

  it('runs the seed\'s test deployment and service', async () => {
    await put(lab, 'k1', '/root/test-nginx.yaml', fixture('test-nginx.yaml'));
    const applied = await ok(lab, 'k1', `${ADMIN} apply -f /root/test-nginx.yaml`);
    assert.match(applied.stdout, /deployment.apps\/test-nginx created\nservice\/test-nginx created/);
    // the pods turn Ready once the scheduler has bound them and each node's kubelet reported them
    await ok(lab, 'k1', `${ADMIN} rollout status deployment/test-nginx --timeout=90s`, 120_000);
    const deploy = await ok(lab, 'k3', `${ADMIN} get deployments`);
    assert.match(deploy.stdout, /^test-nginx\s+3\/3\s+3\s+3\s/m);
    const pods = (await ok(lab, 'k2', `${ADMIN} get pods -o wide`)).stdout.trim().split('\n').slice(1);
    assert.equal(pods.length, 3, pods.join('\n'));
    for (const p of pods) assert.match(p, /^test-nginx-\S+\s+1\/1\s+Running\s+0\s+\S+\s+\S+\s+k[1-4]\s/);
    // CoreDNS (kubeadm's addon) is scheduled too, now that nodes are Ready
    assert.match((await ok(lab, 'k1', `${ADMIN} get pods -n kube-system`)).stdout, /^coredns-\S+\s+1\/1\s+Running/m);
    // addresses from the cluster's service range (10.25.0.0/16 in this kubeadm.yaml)
    const svcs = (await ok(lab, 'k1', `${ADMIN} get svc`)).stdout;
    assert.match(svcs, /^kubernetes\s+ClusterIP\s+10\.25\.0\.1\s+<none>\s+443\/TCP\s/m);
    assert.match(svcs, /^test-nginx\s+ClusterIP\s+10\.25\.\d+\.\d+\s+<none>\s+80\/TCP\s/m);
    assert.match((await ok(lab, 'k1', `${ADMIN} get svc -n kube-system kube-dns`)).stdout, /^kube-dns\s+ClusterIP\s+10\.25\.0\.10\s/m);
  });
});
