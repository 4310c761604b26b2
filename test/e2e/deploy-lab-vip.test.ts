/**
 * examples/ha-vip.yaml (stacked etcd, keepalived + haproxy VIP) deployed on lab hosts by the real
 * activities: the second master's `kubeadm join` fails twice (injected on the host), the
 * activity retries it and the deploy completes with a passing verification (VIP drill included)
 * whose checks say what they saw in words, the tools' raw output kept for `hakube logs`. Then
 * the run's pages in the Web UI, rendered by headless Chromium through hakube's codec server,
 * show cluster and hosts and never the run's bootstrap token or certificate key.
 *
 * Then the cluster's life after deploy, through the CLI on the same cluster: w2 is reset and
 * deleted by hand and joined again with the line `hakube join-command` prints (stdout only, the
 * token nowhere in plain history) and becomes Ready; a control-plane join line carries a fresh
 * certificate key; `hakube reset --yes` leaves every host clean: no /etc/kubernetes, no VIP on
 * any interface, no kubelet running, no etcd data, master0 last.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type * as http from 'node:http';
import type { Worker } from '@temporalio/worker';
import type { TestServer } from '../helpers/temporal';
import { startDeploy } from '../../src/client/deploy';
import { progressQuery } from '../../src/workflows/defs';
import { createCodec } from '../../src/temporal/data-converter';
import { createCodecServer } from '../../src/temporal/codec-server';
import { DisplayCodec, SECRET_PLACEHOLDER } from '../../src/temporal/display-codec';
import { saveKubeconfig } from '../../src/client/kubeconfig';
import { freePort, renderedDom, visibleText } from '../helpers/browser';
import { historyBytes } from '../../src/temporal/history';
import { assertClusterServes, commandLog, count, type ExampleLab, hakube, realWorker, resultUnlessWaiting, type DeployBed, deployBed } from './deploy-support';

let server: TestServer;
let ex: ExampleLab;
let worker: Worker;
let bed: DeployBed | undefined;

let uiPort: number;
let codec: http.Server | undefined;

before(async () => {
  uiPort = await freePort();
  const codecPort = await freePort();
  bed = await deployBed('ha-vip', 'dvip', { ui: { port: uiPort, codecEndpoint: `http://127.0.0.1:${codecPort}` } });
  ({ server, ex, worker } = bed);
  codec = createCodecServer({ codec: new DisplayCodec(createCodec(server.env)), origins: [`http://127.0.0.1:${uiPort}`] });
  await new Promise<void>((r) => codec!.listen(codecPort, '127.0.0.1', r));
});
after(async () => {
  await new Promise((r) => (codec ? codec.close(r) : r(undefined)));
  await bed?.close();
});

test('ha-vip deploys to a verified cluster; a join failing twice on m2 is retried', async () => {
  await ex.lab.fault('m2', 'command', 'kubeadm join', '--fail', '--times', '2');
  const t0 = Date.now();
  const { result, progress } = await worker.runUntil(async () => {
    const handle = await startDeploy(server.client, ex.spec, { retryInterval: '1s' });
    const result = await resultUnlessWaiting(handle);
    return { result, progress: await handle.query(progressQuery) };
  });
  console.log(`ha-vip deploy: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  assert.equal(result.state, 'done', JSON.stringify(progress.waiting ?? progress.error));
  assert.ok(result.verification?.ok, JSON.stringify(result.verification));
  const names = result.verification!.checks.map((c) => c.name).join('\n');
  assert.match(names, /VIP failover/);
  assert.match(names, /etcd/);
  // Each check in words, from what the tools printed on the lab hosts.
  const detail = (re: RegExp): string => result.verification!.checks.find((c) => re.test(c.name))!.detail;
  assert.equal(detail(/every node Ready/), '5/5 nodes Ready');
  assert.match(detail(/etcd/), /^etcd: 3 members, all healthy, leader m[123]$/);
  assert.match(detail(/VIP failover/), /^VIP \S+ moved m1 -> m[23] in \d+\.\d s; the apiserver answers through it$/);
  assert.match(detail(/w2: apiserver healthz/), /^apiserver \/healthz ok through \S+:8443$/);
  // The raw output stays in the verify steps' tails, which `hakube logs` prints.
  const verifySteps = progress.phases.find((p) => p.name === 'verify')!.hosts.flatMap((h) => h.steps);
  assert.match(verifySteps.find((st) => st.id.endsWith('/nodes-ready'))!.tail ?? '', /NAME\s+STATUS[\s\S]*\bw2\s+Ready/);
  assert.match(verifySteps.find((st) => st.id.endsWith('/etcd-health'))!.tail ?? '', /IS LEADER/);

  const m2 = progress.phases.find((p) => p.name === 'join-masters')!.hosts.find((h) => h.host === 'm2')!;
  const join = m2.steps.find((s) => s.id === 'join-masters/m2/kubeadm-join')!;
  assert.equal(join.status, 'done');
  assert.equal(join.attempts, 3, 'two injected failures, then success');

  // The hosts' own logs: kubeadm init ran once on m1, every join once on success.
  const m1 = await commandLog(ex.lab, 'm1');
  assert.equal(count(m1, /^kubeadm init (?!phase)/), 1, m1.join('\n'));
  for (const host of ['m3', 'w1', 'w2']) assert.equal(count(await commandLog(ex.lab, host), /^kubeadm join /), 1, host);
  // The token and certificate key never appear in clear in the host logs either.
  assert.doesNotMatch((await commandLog(ex.lab, 'm3')).join('\n'), /--token [a-z0-9]{6}\.[a-z0-9]{16}/);

  // This run's secrets, read back from the history with the key (only a test may do that).
  const cluster = ex.spec.metadata.name;
  const child = server.client.workflow.getHandle(`hakube/${cluster}/deploy/join-master/m2/1`);
  const [childInput] = ((await child.fetchHistory()).events ?? []).flatMap((e) => (e.workflowExecutionStartedEventAttributes?.input?.payloads ?? []));
  const decoded = (await createCodec(server.env).decode([childInput]))[0];
  const runtime = (JSON.parse(Buffer.from(decoded.data!).toString()) as { runtime: Record<string, { __hakubeSecret: string }> }).runtime;
  const token = runtime.joinToken.__hakubeSecret;
  const certKey = runtime.certificateKey.__hakubeSecret;
  assert.match(token, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
  assert.match(certKey, /^[a-f0-9]{64}$/);
  const ui = `http://127.0.0.1:${uiPort}/namespaces/${server.namespace}/workflows`;
  for (const [id, names] of [
    [`hakube/${cluster}/deploy`, [cluster, '"m1"', '"m2"']],
    [`hakube/${cluster}/deploy/join-master/m2/1`, [cluster, '"m2"', `"joinToken" : "${SECRET_PLACEHOLDER}"`, `"certificateKey" : "${SECRET_PLACEHOLDER}"`]],
  ] as const) {
    const dom = await renderedDom(`${ui}/${encodeURIComponent(id)}`);
    const text = visibleText(dom);
    for (const n of names) assert.ok(text.includes(n), `${n} on the page of ${id}`);
    for (const secret of [token, token.split('.')[1], certKey, certKey.slice(0, 24)]) assert.ok(!dom.includes(secret), `a secret of this run on the page of ${id}`);
  }

  // The real control plane, as an operator's kubectl sees it through the kubeconfig the run returned.
  const kubeconfig = saveKubeconfig(cluster, result.kubeconfig, server.env);
  assert.ok(kubeconfig, 'the run returned admin.conf');
  await assertClusterServes(kubeconfig, ex.spec);
});

const KUBECTL = ['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf'];

function readyOf(json: string): string {
  const node = JSON.parse(json) as { status?: { conditions?: Array<{ type: string; status: string }> } };
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'no Ready condition';
}

test('then a worker re-joined by hand with join-command, and reset leaves every host clean', async () => {
  const cluster = ex.spec.metadata.name;
  const hosts = ex.spec.spec.hosts.map((h) => h.name);
  const vip = ex.spec.spec.loadBalancer.vip!;
  // The first test's worker stopped with its runUntil; this part runs on a fresh one.
  const { worker: next, pool } = await realWorker(server);
  await next.runUntil(async () => {

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
  pool.closeAll();

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
