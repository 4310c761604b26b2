/**
 * The simulators' fault kinds through `hakube lab fault`: an expired bootstrap token is refused by
 * the real apiserver, expired tokens and an expired kubeadm-certs secret make the real kubeadm
 * fail with its own messages (and the seeds' fixes recover), a killed apiserver or etcd is
 * restarted by the host's kubelet.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, TestLab } from '../helpers/lab';
import { ADMIN, fixture, joinCommands, ok, prepHost, put, sh, until } from '../fixtures/k8s/handwork';

const HOSTS = ['master0', 'master1', 'worker1'];

describe('simulator faults: expired tokens and certs, killed apiserver and etcd', () => {
  let lab: TestLab;
  let join: string;
  let endpoint: string;
  const a = (h: string) => lab.address[h];

  before(async () => {
    lab = await startLab({ prefix: 'k8sfaults', hosts: HOSTS });
    endpoint = `${a('master0')}:6443`;
    await Promise.all(HOSTS.map(async (h) => {
      await prepHost(lab, h);
      await put(lab, h, '/root/kubeadm.yaml', fixture('kubeadm-stacked.yaml', { ADDRESS: a(h), NAME: h, VIP: a('master0') })
        .replace(`${a('master0')}:8443`, endpoint));
    }));
    join = joinCommands((await ok(lab, 'master0', 'kubeadm init --config /root/kubeadm.yaml --upload-certs')).stdout).controlPlane;
  });
  after(async () => {
    await lab?.down();
  });

  it('expire-tokens: a join with the old token fails with kubeadm\'s own error, a new token works', async () => {
    const token = join.match(/--token (\S+)/)![1];
    const caHash = join.match(/sha256:[0-9a-f]{64}/)![0];
    // The real apiserver's bootstrap-token authenticator: kubeadm's RBAC lets the token get a node
    // (get, not list), and once the token is expired the apiserver refuses it (its informer sees
    // the token cleaner's deletion within moments).
    const asToken = `curl -sk -o /dev/null -w '%{http_code}' --max-time 5 -H 'Authorization: Bearer ${token}' https://${endpoint}/api/v1/nodes/master0`;
    assert.equal((await ok(lab, 'master0', asToken)).stdout, '200');
    assert.match(await lab.fault('master0', 'expire-tokens'), /expired [1-9]\d* token/);
    let code = '';
    for (let i = 0; i < 30 && code !== '401'; i++) {
      if (i) await new Promise((r) => setTimeout(r, 1000));
      code = (await ok(lab, 'master0', asToken)).stdout;
    }
    assert.equal(code, '401', 'the expired token is refused');
    const list = await ok(lab, 'master0', 'kubeadm token list');
    assert.doesNotMatch(list.stdout, new RegExp(token.split('.')[0]));
    await put(lab, 'worker1', '/root/join.yaml', fixture('kubeadm-join-worker.yaml', { ENDPOINT: endpoint, TOKEN: token, CA_HASH: caHash, NAME: 'worker1' }));
    const failed = await sh(lab, 'worker1', 'kubeadm join --config /root/join.yaml');
    assert.equal(failed.code, 1, failed.stdout);
    assert.match(failed.stderr, new RegExp(`could not find a JWS signature in the cluster-info ConfigMap for token ID "${token.split('.')[0]}"`));
    const fresh = (await ok(lab, 'master0', 'kubeadm token create --print-join-command --config /root/kubeadm.yaml')).stdout.trim();
    assert.match(fresh, /^kubeadm join \S+:6443 --token \S+ --discovery-token-ca-cert-hash sha256:[0-9a-f]{64}\s*$/);
    const joined = await ok(lab, 'worker1', fresh);
    assert.match(joined.stdout, /This node has joined the cluster:/);
    assert.match((await ok(lab, 'master0', `${ADMIN} get nodes`)).stdout, /^worker1\s+NotReady\s+<none>\s/m);
  });

  it('expire-certs: a control-plane join fails until the certificates are uploaded again', async () => {
    assert.match(await lab.fault('master0', 'expire-certs'), /expired 1 token/);
    const fresh = (await ok(lab, 'master0', 'kubeadm token create --print-join-command --config /root/kubeadm.yaml')).stdout.trim();
    const oldKey = join.match(/--certificate-key (\S+)/)![1];
    const failed = await sh(lab, 'master1', `${fresh} --control-plane --certificate-key ${oldKey} --apiserver-advertise-address ${a('master1')}`);
    assert.equal(failed.code, 1, failed.stdout);
    assert.match(failed.stderr, /Secret "kubeadm-certs" was not found in the "kube-system" Namespace\. This Secret might have expired\. Please, run `kubeadm init phase upload-certs --upload-certs` on a control plane to generate a new one/);
    await ok(lab, 'master1', 'kubeadm reset -f');
    const upload = await ok(lab, 'master0', 'kubeadm init phase upload-certs --upload-certs --config /root/kubeadm.yaml');
    const key = upload.stdout.trim().split('\n').pop()!;
    assert.match(key, /^[0-9a-f]{64}$/);
    const joined = await ok(lab, 'master1', `${fresh} --control-plane --certificate-key ${key} --apiserver-advertise-address ${a('master1')}`);
    assert.match(joined.stdout, /This node has joined the cluster and a new control plane instance was created/);
  });

  it('kill-apiserver and kill-etcd: the kubelet brings them back', async () => {
    const healthz = `curl -sk --max-time 2 https://${a('master1')}:6443/healthz`;
    assert.match(await lab.fault('master1', 'kill-apiserver'), /killed 1 kube-apiserver/);
    assert.notEqual((await sh(lab, 'master1', healthz)).stdout, 'ok');
    await until('the apiserver to restart', async () => ((await sh(lab, 'master1', healthz)).stdout === 'ok' ? true : undefined), 30_000);
    // master0's apiserver is untouched
    assert.equal((await ok(lab, 'master0', `curl -sk --max-time 2 https://${endpoint}/healthz`)).stdout, 'ok');

    const etcdctl = `ETCDCTL_API=3 etcdctl --endpoints https://${a('master1')}:2379 --cacert /etc/kubernetes/pki/etcd/ca.crt ` +
      '--cert /etc/kubernetes/pki/apiserver-etcd-client.crt --key /etc/kubernetes/pki/apiserver-etcd-client.key --dial-timeout 2s --command-timeout 3s';
    assert.match(await lab.fault('master1', 'kill-etcd'), /killed 1 etcd/);
    assert.notEqual((await sh(lab, 'master1', `${etcdctl} endpoint health`)).code, 0);
    // The kubelet's restart back-off plus etcd's start: 30 s ran out once on a loaded CI machine.
    await until('etcd to restart', async () => ((await sh(lab, 'master1', `${etcdctl} endpoint health`)).code === 0 ? true : undefined), 90_000);
    // the restarts show in the mirror pods once master1's kubelet reports again
    await until('restart counts', async () => {
      const pods = (await ok(lab, 'master0', `${ADMIN} get pods -n kube-system`)).stdout;
      return /etcd-master1\s+1\/1\s+Running\s+1\s/.test(pods) && /kube-apiserver-master1\s+1\/1\s+Running\s+1\s/.test(pods) ? true : undefined;
    }, 30_000);
  });

  it('brings a restarted master back: lab-boot starts the enabled kubelet, which starts its static pods', async () => {
    const restartedAt = Math.floor(Date.now() / 1000) * 1000;
    await lab.fault('master1', 'restart');
    await until('master1 to serve again', async () => {
      const r = await sh(lab, 'master1', `curl -sk --max-time 2 https://${a('master1')}:6443/healthz`);
      return r.stdout === 'ok' ? true : undefined;
    }, 60_000);
    assert.equal((await ok(lab, 'master1', 'systemctl is-active kubelet containerd')).stdout, 'active\nactive\n');
    const members = await ok(lab, 'master0', `ETCDCTL_API=3 etcdctl --endpoints https://${a('master1')}:2379 --cacert /etc/kubernetes/pki/etcd/ca.crt ` +
      '--cert /etc/kubernetes/pki/apiserver-etcd-client.crt --key /etc/kubernetes/pki/apiserver-etcd-client.key member list');
    assert.equal(members.stdout.trim().split('\n').filter((l) => l.includes(', started, ')).length, 2, members.stdout);
    // its kubelet reports again (a heartbeat newer than the restart)
    await until('a heartbeat from master1', async () => {
      const node = JSON.parse((await ok(lab, 'master0', `${ADMIN} get node master1 -o json`)).stdout) as
        { status: { conditions: Array<{ type: string; status: string; lastHeartbeatTime: string }> } };
      const ready = node.status.conditions.find((c) => c.type === 'Ready')!;
      return Date.parse(ready.lastHeartbeatTime) >= restartedAt && ready.status !== 'Unknown' ? true : undefined;
    }, 30_000);
  });
});
