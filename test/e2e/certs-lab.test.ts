/**
 * Certificate renewal on the lab, one deploy shared: examples/ha-vip.yaml with 2 h certificates
 * (kubeadm v1beta4 certificateValidityPeriod), so no clock tricks are needed.
 *   - `hakube certs check` reports them inside a 3 h threshold (exit 3), from the real kubeadm;
 *   - `hakube certs schedule` creates, then updates in place, a Schedule (SKIP, catch-up, pause on failure, note);
 *   - a triggered schedule run renews one control plane at a time; m2's apiserver cannot start
 *     (a lab command fault), so the rollout stops at m2 and waits, m3 untouched; `hakube retry`
 *     after clearing the fault completes it;
 *   - residual afterwards greater than before on every control plane, served certificates new,
 *     the hosts' restart logs show no two apiservers down at once, verify passed;
 *   - without --force, control planes with nothing inside the threshold are skipped with the reason;
 *   - etcd snapshots on a Schedule (keep 2): each opens with `etcdctl snapshot status`, the oldest is deleted.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { progressQuery, type Progress } from '../../src/workflows/defs';
import { startDeploy } from '../../src/client/deploy';
import { renewInput } from '../../src/client/certs';
import { scheduleId, triggerSchedule, upsertSchedule, scheduleSpec } from '../../src/client/schedules';
import { parseKubeadmExpiration, type CertRow } from '../../src/certs/expiry';
import { RESTART_LOG } from '../../src/render/certs';
import { kubeconfigCertExpiry, kubeconfigPath } from '../../src/client/kubeconfig';
import { hakube, resultUnlessWaiting, type DeployBed } from './deploy-support';
import { shortCertsBed } from '../helpers/short-certs-bed';

let bed: DeployBed | undefined;
const MASTERS = ['m1', 'm2', 'm3'];

before(async () => {
  // 2 h certificates: everything is inside a 3 h threshold from the start.
  bed = await shortCertsBed('ha-vip', 'crt');
});
after(async () => {
  await bed?.close();
});

async function kubeadmRows(host: string): Promise<CertRow[]> {
  const r = await bed!.ex.lab.exec(host, ['kubeadm', 'certs', 'check-expiration', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  if (process.env.HAKUBE_UPDATE_FIXTURES === '1' && host === 'm2') {
    mkdirSync('test/fixtures/certs', { recursive: true });
    writeFileSync('test/fixtures/certs/check-expiration-stacked.json', r.stdout);
  }
  return parseKubeadmExpiration(r.stdout, host);
}

const served = async (host: string, address: string): Promise<string> =>
  (await bed!.ex.lab.exec(host, ['sh', '-c', `echo | openssl s_client -connect ${address}:6443 2>/dev/null | openssl x509 -noout -enddate`])).stdout.trim();

async function waitFor(handle: { query: (q: typeof progressQuery) => Promise<Progress> }, ok: (p: Progress) => boolean, ms: number): Promise<Progress> {
  const end = Date.now() + ms;
  for (;;) {
    const p = await handle.query(progressQuery).catch(() => undefined);
    if (p && ok(p)) return p;
    if (Date.now() > end) throw new Error(`timed out; last progress: ${JSON.stringify(p?.waiting ?? p?.state)}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

test('short-lived certificates: check, a scheduled renewal stopped at m2 then retried, skip when not due', async () => {
  const { server, ex, worker } = bed!;
  const cluster = ex.spec.metadata.name;
  await worker.runUntil(async () => {
    const t0 = Date.now();
    const deployed = await resultUnlessWaiting(await startDeploy(server.client, ex.spec, { retryInterval: '1s' }));
    assert.equal(deployed.state, 'done');
    console.log(`deploy: ${((Date.now() - t0) / 1000).toFixed(0)} s`);

    // kubeadm itself says 2 h: the spec's lifetime reached ClusterConfiguration.
    const before = new Map<string, CertRow[]>();
    for (const h of MASTERS) before.set(h, await kubeadmRows(h));
    const apiserverBefore = before.get('m1')!.find((r) => r.certificate === 'apiserver')!;
    assert.ok(apiserverBefore.residualSeconds <= 2 * 3600 && apiserverBefore.residualSeconds > 3600, JSON.stringify(apiserverBefore));

    const check = await hakube(server, ['certs', 'check', cluster, '--renew-before', '3h', '--json']);
    assert.equal(check.code, 3, check.stderr);
    const report = JSON.parse(check.stdout) as { rows: CertRow[]; errors: string[]; expiring: number };
    assert.deepEqual(report.errors, []);
    for (const h of MASTERS) assert.ok(report.rows.some((r) => r.host === h && r.certificate === 'apiserver' && r.residualSeconds < 3 * 3600), h);
    for (const h of ['m1', 'm2', 'm3', 'w1', 'w2']) assert.ok(report.rows.some((r) => r.host === h && r.certificate === 'kubelet-client'), `kubelet client cert of ${h}`);
    const table = await hakube(server, ['certs', 'check', cluster, '--renew-before', '3h']);
    assert.match(table.stdout, /CERTIFICATE\s+HOST\s+EXPIRES\s+RESIDUAL\s+CA\s+EXTERNALLY MANAGED/);
    assert.match(table.stdout, /apiserver\s+m2\s+\S+\s+1h\s+ca\s+no\s+<- within threshold/);

    // The schedule: created, then the same command again only updates it.
    const made = await hakube(server, ['certs', 'schedule', cluster, '--every', '7d', '--renew-before', '3h']);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /^created schedule /);
    const again = await hakube(server, ['certs', 'schedule', cluster, '--every', '7d', '--renew-before', '3h']);
    assert.match(again.stdout, /^updated schedule /);
    const id = scheduleId(cluster, 'certs');
    const desc = JSON.parse((await hakube(server, ['schedule', 'describe', id])).stdout) as { policies: { overlap: string; catchupWindow: number; pauseOnFailure: boolean }; state: { note: string } };
    assert.equal(desc.policies.overlap, 'SKIP');
    assert.equal(desc.policies.pauseOnFailure, true);
    assert.equal(desc.policies.catchupWindow, 3600_000);
    assert.match(desc.state.note, new RegExp(`${cluster} expiring within 3h`));
    assert.match((await hakube(server, ['schedule', 'list'])).stdout, new RegExp(`${id}\\s+active`));
    // A test's patience: one attempt per host before the run asks the operator.
    const input = await renewInput(server.client, cluster, { renewBeforeSeconds: 3 * 3600, force: false }, { hostAttempts: 1, retryInterval: '1s' });
    await upsertSchedule(server.client, { cluster, job: 'certs', spec: scheduleSpec({ every: '7d' }), args: [input], note: desc.state.note });

    // m2's apiserver will not start again once stopped.
    await ex.lab.fault('m2', 'command', 'kube-apiserver', '--fail');
    const m3Before = await served('m3', ex.lab.address.m3);
    const t1 = Date.now();
    await triggerSchedule(server.client, id);
    let runId = '';
    for (let i = 0; i < 30 && !runId; i++) {
      for await (const w of server.client.workflow.list({ query: `WorkflowType = "renewCerts" AND HakubeCluster = "${cluster}"` })) runId = w.workflowId;
      if (!runId) await new Promise((r) => setTimeout(r, 1000));
    }
    assert.ok(runId, 'the trigger started a renewal run');
    const handle = server.client.workflow.getHandle(runId);
    const waiting = await waitFor(handle, (p) => p.state === 'waiting' || p.state === 'done' || p.state === 'failed', 15 * 60_000);
    assert.equal(waiting.state, 'waiting', JSON.stringify(waiting.error ?? waiting.phases));
    assert.deepEqual(waiting.waiting?.hosts, ['m2'], JSON.stringify(waiting.waiting));
    const renew = waiting.phases.find((p) => p.name === 'renew-certs')!;
    assert.equal(renew.hosts.find((h) => h.host === 'm1')!.status, 'done');
    assert.equal(renew.hosts.find((h) => h.host === 'm3')!.status, 'pending');
    // m3 untouched: nothing restarted there, the same certificate served, its files as before.
    assert.equal((await ex.lab.exec('m3', ['cat', RESTART_LOG])).stdout.trim(), '');
    assert.equal(await served('m3', ex.lab.address.m3), m3Before);
    assert.deepEqual((await kubeadmRows('m3')).find((r) => r.certificate === 'apiserver')!.expires, before.get('m3')!.find((r) => r.certificate === 'apiserver')!.expires);
    // The status says what waits, and the CLI's exit code is 3.
    const status = await hakube(server, ['status', cluster]);
    assert.equal(status.code, 3, status.stdout + status.stderr);

    await ex.lab.fault('m2', 'command', 'kube-apiserver', '--clear');
    const retry = await hakube(server, ['retry', cluster]);
    assert.equal(retry.code, 0, retry.stderr);
    const done = await waitFor(handle, (p) => p.state === 'done' || p.state === 'failed' || (p.state === 'waiting' && p.waiting?.phase !== 'renew-certs'), 15 * 60_000);
    assert.equal(done.state, 'done', JSON.stringify(done.waiting ?? done.error));
    console.log(`renewal with one failed master and a retry: ${((Date.now() - t1) / 1000).toFixed(0)} s`);
    assert.ok(done.verification?.ok, JSON.stringify(done.verification));

    // Residual greater than before on every control plane, and the sockets serve the new certificates.
    for (const h of MASTERS) {
      const now = await kubeadmRows(h);
      for (const name of ['apiserver', 'apiserver-kubelet-client', 'etcd-server', 'front-proxy-client', 'admin.conf']) {
        const b = before.get(h)!.find((r) => r.certificate === name)!;
        const a = now.find((r) => r.certificate === name)!;
        assert.ok(Date.parse(a.expires!) > Date.parse(b.expires!), `${h} ${name}: ${b.expires} -> ${a.expires}`);
      }
      const file = (await ex.lab.exec(h, ['openssl', 'x509', '-noout', '-enddate', '-in', '/etc/kubernetes/pki/apiserver.crt'])).stdout.trim();
      assert.equal(await served(h, ex.lab.address[h]), file, `${h} serves its renewed certificate`);
    }

    // The scheduled run had no CLI to follow it: the next `certs check` refreshes the operator's admin.conf.
    const opBefore = kubeconfigCertExpiry(readFileSync(kubeconfigPath(cluster), 'utf8'))!;
    const after = JSON.parse((await hakube(server, ['certs', 'check', cluster, '--renew-before', '1h', '--json'])).stdout) as { kubeconfigRefreshed?: string; expiring: number };
    assert.equal(after.kubeconfigRefreshed, kubeconfigPath(cluster));
    assert.equal(after.expiring, 0);
    assert.ok(kubeconfigCertExpiry(readFileSync(kubeconfigPath(cluster), 'utf8'))! > opBefore);

    // No two control planes were restarting at the same time (each host's own restart log): on a
    // stacked host the apiserver also drops while its local etcd restarts, so a host's window runs
    // from its first component down to its last one up (or found already running the new files).
    const windows: Array<{ host: string; from: number; to: number }> = [];
    for (const h of MASTERS) {
      const lines = (await ex.lab.exec(h, ['cat', RESTART_LOG])).stdout.trim().split('\n').map((l) => l.split(' '));
      const downs = lines.filter((l) => l[3] === 'down').map((l) => Number(l[0]));
      const ups = lines.filter((l) => l[3] === 'up' || l[3] === 'current').map((l) => Number(l[0]));
      assert.ok(downs.length > 0 && lines.some((l) => l[2] === 'kube-scheduler' && (l[3] === 'up' || l[3] === 'current')), `${h}: ${JSON.stringify(lines)}`);
      windows.push({ host: h, from: Math.min(...downs), to: Math.max(...ups) });
    }
    for (const a of windows) for (const b of windows) if (a !== b) assert.ok(a.to < b.from || b.to < a.from, `${a.host} and ${b.host} restarted together: ${JSON.stringify(windows)}`);
    console.log(`restart windows: ${windows.map((w) => `${w.host} ${w.to - w.from} s`).join(', ')}`);

    // Nothing inside a 1 h threshold now: every control plane skipped, saying why.
    const skip = await hakube(server, ['certs', 'renew', cluster, '--renew-before', '1h', '--plain']);
    assert.equal(skip.code, 0, skip.stdout + skip.stderr);
    const last = await server.client.workflow.getHandle(`hakube/${cluster}/renew-certs`).query(progressQuery);
    for (const h of last.phases.find((p) => p.name === 'renew-certs')!.hosts) {
      const step = h.steps.find((s) => s.id.endsWith('/renew'))!;
      assert.equal(step.status, 'already', `${h.host}: ${JSON.stringify(step)}`);
      assert.match(step.tail ?? '', /skipped: nothing expires within 3600 s; earliest: /);
    }

    // etcd snapshots on a schedule, keep 2: three triggered runs leave the newest two, each opening with snapshot status.
    const store = mkdtempSync(join(tmpdir(), 'hakube-snaps-'));
    const sched = await hakube(server, ['etcd', 'snapshot', cluster, '--schedule', '--every', '1d', '--keep', '2', '--to', store]);
    assert.equal(sched.code, 0, sched.stderr);
    const snapId = scheduleId(cluster, 'etcd-snapshot');
    const taken: string[] = [];
    for (let i = 1; i <= 3; i++) {
      await triggerSchedule(server.client, snapId);
      for (let w = 0; w < 60; w++) {
        let completed = 0;
        for await (const x of server.client.workflow.list({ query: `WorkflowType = "etcdSnapshot" AND HakubeCluster = "${cluster}" AND ExecutionStatus = "Completed"` })) if (x) completed++;
        if (completed >= i) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      const now = readdirSync(store).filter((f) => f.endsWith('.db'));
      taken.push(...now.filter((f) => !taken.includes(f)));
      await new Promise((r) => setTimeout(r, 1100)); // names have second resolution
    }
    assert.equal(taken.length, 3, taken.join(' '));
    const left = readdirSync(store).filter((f) => f.endsWith('.db')).sort();
    assert.deepEqual(left, taken.slice(1).sort(), 'retention deleted the oldest');
    for (const f of left) {
      const status = spawnSync('etcdctl', ['snapshot', 'status', join(store, f), '-w', 'json'], { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8' });
      assert.equal(status.status, 0, status.stderr);
      assert.ok((JSON.parse(status.stdout) as { revision: number }).revision > 0);
      assert.equal(spawnSync('sha256sum', ['-c', `${f}.sha256`], { cwd: store }).status, 0, `${f}.sha256`);
      assert.equal(statSync(join(store, f)).mode & 0o777, 0o600);
    }
  });
});
