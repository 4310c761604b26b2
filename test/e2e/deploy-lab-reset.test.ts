/**
 * The cluster's life after deploy, on lab hosts through the CLI: examples/ha-vip.yaml deploys;
 * w2 is reset and deleted by hand and joined again with the line `hakube join-command` prints
 * (stdout only, the token nowhere in plain history) and becomes Ready; a control-plane join
 * line carries a fresh certificate key; then `hakube reset --yes` leaves every host clean: no
 * /etc/kubernetes, no VIP on any interface, no kubelet running, no etcd data.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Worker } from '@temporalio/worker';
import type { TestServer } from '../helpers/temporal';
import { historyBytes } from '../../src/temporal/history';
import { commandLog, count, deployBed, hakube, type DeployBed, type ExampleLab } from './deploy-support';

let server: TestServer;
let ex: ExampleLab;
let worker: Worker;
let bed: DeployBed | undefined;

before(async () => {
  bed = await deployBed('ha-vip', 'drst');
  ({ server, ex, worker } = bed);
});
after(() => bed?.close());

const KUBECTL = ['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf'];

function readyOf(json: string): string {
  const node = JSON.parse(json) as { status?: { conditions?: Array<{ type: string; status: string }> } };
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'no Ready condition';
}

test('deploy, a worker re-joined by hand with join-command, then reset leaves every host clean', async () => {
  const cluster = ex.spec.metadata.name;
  const hosts = ex.spec.spec.hosts.map((h) => h.name);
  const vip = ex.spec.spec.loadBalancer.vip!;
  await worker.runUntil(async () => {
    const deploy = await hakube(server, ['deploy', '-f', ex.specPath]);
    assert.equal(deploy.code, 0, `${deploy.stdout}\n${deploy.stderr}`);

    // w2 leaves the cluster by hand (reset, Node deleted), then joins with join-command's line.
    assert.equal((await ex.lab.ssh('w2', 'kubeadm reset -f && rm -rf /etc/kubernetes /var/lib/kubelet')).code, 0);
    assert.equal((await ex.lab.exec('m1', [...KUBECTL, 'delete', 'node', 'w2'])).code, 0);
    const jc = await hakube(server, ['join-command', cluster]);
    assert.equal(jc.code, 0, jc.stderr);
    const line = jc.stdout.trim();
    assert.match(line, /^kubeadm join \S+:8443 --token [a-z0-9]{6}\.[a-z0-9]{16} --discovery-token-ca-cert-hash sha256:[0-9a-f]{64}$/);
    assert.equal(jc.stdout.split('\n').filter(Boolean).length, 1, 'stdout holds the join line only');
    const token = /--token (\S+)/.exec(line)![1];
    const history = historyBytes(await server.client.workflow.getHandle(`hakube/${cluster}/join-command`).fetchHistory());
    assert.ok(!history.includes(token), 'the token is not in plain history');

    const join = await ex.lab.ssh('w2', `${line} --node-name w2`);
    assert.equal(join.code, 0, join.stderr);
    let ready = '';
    for (let i = 0; i < 90 && ready !== 'True'; i++) {
      const r = await ex.lab.exec('m1', [...KUBECTL, 'get', 'node', 'w2', '-o', 'json']);
      ready = r.code === 0 ? readyOf(r.stdout) : `no node: ${r.stderr.trim()}`;
      if (ready !== 'True') await new Promise((res) => setTimeout(res, 2000));
    }
    assert.equal(ready, 'True', 'w2 joined by hand becomes Ready');

    const cp = await hakube(server, ['join-command', cluster, '--control-plane']);
    assert.equal(cp.code, 0, cp.stderr);
    assert.match(cp.stdout.trim(), / --control-plane --certificate-key [0-9a-f]{64}$/);
    assert.match(cp.stderr, /warning: .*certificate key/);

    // Without --yes and without a terminal, reset refuses before touching anything.
    const refused = await hakube(server, ['reset', '-f', ex.specPath]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /pass --yes/);

    const reset = await hakube(server, ['reset', '-f', ex.specPath, '--yes']);
    assert.equal(reset.code, 0, `${reset.stdout}\n${reset.stderr}`);
  });

  for (const host of hosts) {
    // etcd data is its member directory (a distro package may leave an empty /var/lib/etcd).
    const probe = await ex.lab.exec(host, ['sh', '-c', 'ls -d /etc/kubernetes /var/lib/kubelet /var/lib/etcd/member 2>/dev/null; systemctl is-active kubelet; ip -o -4 addr show']);
    assert.doesNotMatch(probe.stdout, /^\/etc\/kubernetes$|^\/var\/lib\/kubelet$|^\/var\/lib\/etcd\/member$/m, `${host} still has: ${probe.stdout}`);
    assert.doesNotMatch(probe.stdout, /^active$/m, `${host}: kubelet still runs`);
    assert.ok(!probe.stdout.includes(`${vip}/`), `${host} still holds the VIP ${vip}`);
  }
  // master0 went last: the stacked members left one by one, each reset with quorum intact.
  const order = (await Promise.all(['m3', 'm2', 'm1'].map(async (h) => (await commandLog(ex.lab, h)).filter((l) => l.startsWith('kubeadm reset')).length)));
  assert.ok(order.every((n) => n >= 1), `every master ran kubeadm reset: ${order}`);
  assert.equal(count(await commandLog(ex.lab, 'm1'), /^kubeadm init (?!phase)/), 1);
});
