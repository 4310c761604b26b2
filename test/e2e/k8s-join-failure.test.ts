/**
 * A control-plane join that fails on master2, then `kubeadm reset -f` there: master0 (and its
 * etcd) must stay healthy and master2 must be able to join again. Two failures: the lab's command
 * fault makes `kubeadm join` itself fail, and an etcd that cannot start on master2 makes the real
 * join fail after it added master2's etcd member (a learner, so quorum holds); reset cleans the
 * host, the stale learner is removed by hand as in the seeds, and master2 joins again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, TestLab } from '../helpers/lab';
import { ADMIN, commandRuns, fixture, joinCommands, ok, prepHost, put, sh, until } from '../fixtures/k8s/handwork';

const MASTERS = ['master0', 'master1', 'master2'];

describe('a failed control-plane join on master2, then kubeadm reset -f there', () => {
  let lab: TestLab;
  let join: string;
  let etcdctl: string;

  before(async () => {
    lab = await startLab({ prefix: 'k8sjoinfail', hosts: MASTERS });
    const endpoint = `${lab.address.master0}:6443`;
    await Promise.all(MASTERS.map(async (m) => {
      await prepHost(lab, m);
      await put(lab, m, '/root/kubeadm.yaml', fixture('kubeadm-stacked.yaml', { ADDRESS: lab.address[m], NAME: m, VIP: lab.address.master0 })
        .replace(`${lab.address.master0}:8443`, endpoint));
    }));
    const init = await ok(lab, 'master0', 'kubeadm init --config /root/kubeadm.yaml --upload-certs');
    join = joinCommands(init.stdout).controlPlane;
    await ok(lab, 'master1', `${join} --apiserver-advertise-address ${lab.address.master1}`);
    etcdctl = `ETCDCTL_API=3 etcdctl --endpoints https://${lab.address.master0}:2379 --cacert /etc/kubernetes/pki/etcd/ca.crt ` +
      '--cert /etc/kubernetes/pki/apiserver-etcd-client.crt --key /etc/kubernetes/pki/apiserver-etcd-client.key';
  });
  after(async () => {
    await lab?.down();
  });

  async function assertMaster0Healthy(voters: string[]): Promise<void> {
    assert.equal((await ok(lab, 'master0', `curl -sk --max-time 5 https://${lab.address.master0}:6443/healthz`)).stdout, 'ok');
    const members = (await ok(lab, 'master0', `${etcdctl} member list`)).stdout.trim().split('\n');
    const started = members.filter((l) => l.includes(', started, ') && l.endsWith(', false'));
    assert.deepEqual(started.map((l) => l.split(', ')[2]).sort(), voters, members.join('\n'));
    const health = await ok(lab, 'master0', `${etcdctl} endpoint health`);
    assert.match(health.stdout + health.stderr, /is healthy/);
    const nodes = await ok(lab, 'master0', `${ADMIN} get nodes`);
    assert.match(nodes.stdout, /^master0\s/m);
  }

  it('leaves master0 healthy when the lab fails `kubeadm join` on master2, and reset cleans up', async () => {
    await lab.fault('master2', 'command', 'kubeadm join', '--fail', '--times', '1');
    const r = await sh(lab, 'master2', `${join} --apiserver-advertise-address ${lab.address.master2}`);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /injected failure of 'kubeadm join'/);
    const reset = await ok(lab, 'master2', 'kubeadm reset -f');
    assert.match(reset.stdout, /\[reset\] Deleting contents of directories/);
    await assertMaster0Healthy(['master0', 'master1']);
    const runs = await commandRuns(lab, 'master2', 'kubeadm join');
    assert.deepEqual(runs.map((x) => x.action), ['fail']);
  });

  it('shows the stacked-etcd pitfall for real: with two stacked members, losing the second takes master0 down', async () => {
    // master1 is a voting member now: kill its etcd and keep it from coming back
    await lab.fault('master1', 'command', 'etcd', '--fail');
    await lab.fault('master1', 'kill-etcd');
    await until('master0 to lose quorum', async () => {
      const r = await sh(lab, 'master0', `curl -sk --max-time 5 https://${lab.address.master0}:6443/healthz`);
      return r.stdout.includes('[-]etcd failed') ? true : undefined;
    }, 30_000);
    assert.notEqual((await sh(lab, 'master0', `${etcdctl} --command-timeout 3s put k v`)).code, 0);
    // once master1's etcd may start again, its kubelet brings it back and quorum returns
    await lab.fault('master1', 'command', 'etcd', '--clear');
    await until('quorum back', async () => {
      const r = await sh(lab, 'master0', `curl -sk --max-time 5 https://${lab.address.master0}:6443/healthz`);
      return r.stdout === 'ok' ? true : undefined;
    }, 90_000);
    await assertMaster0Healthy(['master0', 'master1']);
  });

  it('survives a join whose etcd member never starts: a learner out of quorum, reset, the member removed by hand, a rejoin', async () => {
    await lab.fault('master2', 'command', 'etcd', '--fail');
    const token = join.match(/--token (\S+)/)![1];
    const caHash = join.match(/sha256:[0-9a-f]{64}/)![0];
    const certKey = join.match(/--certificate-key ([0-9a-f]{64})/)![1];
    await put(lab, 'master2', '/root/join.yaml', fixture('kubeadm-join-controlplane.yaml', {
      ENDPOINT: `${lab.address.master0}:6443`, TOKEN: token, CA_HASH: caHash, ADDRESS: lab.address.master2, CERT_KEY: certKey, NAME: 'master2',
    }));
    const failed = await sh(lab, 'master2', 'kubeadm join --config /root/join.yaml', 240_000);
    assert.notEqual(failed.code, 0, failed.stdout);
    assert.match(failed.stdout, /\[etcd\] Announced new etcd member joining to the existing etcd cluster/, failed.stderr);
    const tail = failed.stderr.trim().split('\n').slice(-2).join('\n');
    assert.match(tail, /error execution phase etcd-join: .*can only promote a learner member which is in sync with leader/, tail);
    // master2 is a learner that never started: not a voter, so quorum holds
    const during = (await ok(lab, 'master0', `${etcdctl} member list`)).stdout;
    assert.match(during, /, unstarted, , https:\/\/[0-9.]+:2380, , true\n?/);
    await assertMaster0Healthy(['master0', 'master1']);

    // As on real machines: master2's own apiserver needs its own etcd, so its kubelet never
    // registered the node, and reset cannot tell which etcd member was master2's. The learner
    // stays (harmless: not a voter) until removed by hand, as the seeds' runbooks do.
    const reset = await ok(lab, 'master2', 'kubeadm reset -f');
    assert.match(reset.stderr, /nodes "master2" not found/);
    assert.match(reset.stdout, /\[reset\] Deleting contents of directories: \[\/etc\/kubernetes\/manifests /);
    assert.equal((await sh(lab, 'master2', 'ls /etc/kubernetes/pki /etc/kubernetes/manifests | grep -c .')).stdout.trim(), '2');
    await assertMaster0Healthy(['master0', 'master1']);
    const stale = (await ok(lab, 'master0', `${etcdctl} member list`)).stdout.trim().split('\n')
      .filter((l) => l.includes(`https://${lab.address.master2}:2380`));
    assert.equal(stale.length, 1, stale.join('\n'));
    await ok(lab, 'master0', `${etcdctl} member remove ${stale[0].split(',')[0]}`);
    const after = (await ok(lab, 'master0', `${etcdctl} member list`)).stdout.trim().split('\n');
    assert.equal(after.length, 2, after.join('\n'));
    await assertMaster0Healthy(['master0', 'master1']);

    // and master2 can join for real once its etcd can start
    await lab.fault('master2', 'command', 'etcd', '--clear');
    const again = await ok(lab, 'master2', 'kubeadm join --config /root/join.yaml', 240_000);
    assert.match(again.stdout, /This node has joined the cluster and a new control plane instance was created/);
    await assertMaster0Healthy(MASTERS);
  });
});
