/**
 * Certificate renewal with external etcd on the lab, one deploy: examples/ha-local-proxy.yaml
 * with 2 h certificates (kubeadm's, and the etcd members' rounded up to openssl's one day). Then
 * `hakube certs renew --renew-before 48h` re-signs every etcd member's certificates with the etcd
 * CA, member by member, before the control planes:
 *   - each member's served certificate (read from its socket on the host) has a later notAfter,
 *     with the same key and SANs, signed by the etcd CA;
 *   - the hosts' restart logs show no two members down at once;
 *   - the cluster verifies;
 *   - without --force, a renewal with nothing due leaves every member as it is, saying why.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { progressQuery } from '../../src/workflows/defs';
import { startDeploy } from '../../src/client/deploy';
import { RESTART_LOG } from '../../src/render/certs';
import { hakube, resultUnlessWaiting, type DeployBed } from '../e2e/deploy-support';
import { shortCertsBed } from '../helpers/short-certs-bed';

let bed: DeployBed | undefined;
const MEMBERS = ['k1', 'k2', 'k3'];

before(async () => {
  bed = await shortCertsBed('ha-local-proxy', 'cre');
});
after(async () => {
  await bed?.close();
});

test('external etcd: members re-signed by the etcd CA one at a time, served certificates newer, cluster verifies', async () => {
  const { server, ex, worker } = bed!;
  const cluster = ex.spec.metadata.name;
  const sh = async (host: string, script: string) => {
    const r = await ex.lab.exec(host, ['sh', '-c', script]);
    assert.equal(r.code, 0, `${host}: ${script}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const served = (h: string, what: string) => sh(h, `echo | openssl s_client -connect ${ex.lab.address[h]}:2379 2>/dev/null | openssl x509 -noout ${what}`);
  await worker.runUntil(async () => {
    const t0 = Date.now();
    const deployed = await resultUnlessWaiting(await startDeploy(server.client, ex.spec, { retryInterval: '1s' }));
    assert.equal(deployed.state, 'done');
    console.log(`deploy: ${((Date.now() - t0) / 1000).toFixed(0)} s`);

    const before = new Map<string, { end: number; pubkey: string; san: string }>();
    for (const h of MEMBERS) {
      const end = Date.parse((await served(h, '-enddate')).replace('notAfter=', ''));
      // The deploy gave the members the spec's lifetime, rounded up to a day.
      assert.ok(end - Date.now() < 86400_000 + 60_000, `${h}: ${new Date(end).toISOString()}`);
      before.set(h, { end, pubkey: await served(h, '-pubkey'), san: await served(h, '-ext subjectAltName') });
    }

    const clientEnd = async () => Date.parse((await sh('k2', 'openssl x509 -noout -enddate -in /etc/etcd/pki/apiserver-etcd-client.crt')).replace('notAfter=', ''));
    const clientBefore = await clientEnd();
    const t1 = Date.now();
    const run = await hakube(server, ['certs', 'renew', cluster, '--renew-before', '48h', '--plain'], 20 * 60_000);
    assert.equal(run.code, 0, run.stdout.slice(-3000) + run.stderr);
    console.log(`renewal (3 etcd members, 3 control planes, verify): ${((Date.now() - t1) / 1000).toFixed(0)} s`);
    const p = await server.client.workflow.getHandle(`hakube/${cluster}/renew-certs`).query(progressQuery);
    assert.ok(p.verification?.ok, JSON.stringify(p.verification));
    const etcd = p.phases.find((x) => x.name === 'renew-etcd')!;
    for (const h of etcd.hosts) assert.equal(h.status, 'done', JSON.stringify(h));

    const windows: Array<{ host: string; from: number; to: number }> = [];
    for (const h of MEMBERS) {
      const b = before.get(h)!;
      const end = Date.parse((await served(h, '-enddate')).replace('notAfter=', ''));
      assert.ok(end > b.end, `${h}: served notAfter ${new Date(b.end).toISOString()} -> ${new Date(end).toISOString()}`);
      assert.equal(await served(h, '-pubkey'), b.pubkey, `${h}: same key`);
      assert.equal(await served(h, '-ext subjectAltName'), b.san, `${h}: same SANs`);
      await sh(h, `echo | openssl s_client -connect ${ex.lab.address[h]}:2379 2>/dev/null | openssl x509 | openssl verify -CAfile /etc/etcd/pki/ca.crt`);
      const peerEnd = Date.parse((await sh(h, 'openssl x509 -noout -enddate -in /etc/etcd/pki/peer.crt')).replace('notAfter=', ''));
      assert.ok(peerEnd > b.end, `${h}: peer certificate renewed too`);
      const lines = (await sh(h, `cat ${RESTART_LOG}`)).split('\n').map((l) => l.split(' ')).filter((l) => l[2] === 'etcd-member');
      assert.deepEqual(lines.map((l) => l[3]), ['down', 'up'], `${h}: one restart: ${JSON.stringify(lines)}`);
      windows.push({ host: h, from: Number(lines[0][0]), to: Number(lines[1][0]) });
    }
    for (const a of windows) for (const b of windows) if (a !== b) assert.ok(a.to < b.from || b.to < a.from, `${a.host} and ${b.host} restarted together: ${JSON.stringify(windows)}`);
    console.log(`etcd member restart windows: ${windows.map((w) => `${w.host} ${w.to - w.from} s`).join(', ')}`);
    // The control planes hold the renewed client certificate (and the cluster verified through it).
    assert.ok((await clientEnd()) > clientBefore, "the apiserver's etcd client certificate renewed");

    // Nothing due within 1 h now: every member kept as it is, with the reason.
    const skip = await hakube(server, ['certs', 'renew', cluster, '--renew-before', '1h', '--plain'], 15 * 60_000);
    assert.equal(skip.code, 0, skip.stdout.slice(-3000) + skip.stderr);
    const last = await server.client.workflow.getHandle(`hakube/${cluster}/renew-certs`).query(progressQuery);
    for (const h of last.phases.find((x) => x.name === 'renew-etcd')!.hosts) {
      const step = h.steps.find((s) => s.id.endsWith('/member'))!;
      assert.equal(step.status, 'already', `${h.host}: ${JSON.stringify(step)}`);
      assert.match(step.tail ?? '', /serves its current certificate/);
    }
    for (const h of MEMBERS) assert.equal((await sh(h, `grep -c etcd-member ${RESTART_LOG}`)), '2', `${h}: not restarted again`);
  });
});
