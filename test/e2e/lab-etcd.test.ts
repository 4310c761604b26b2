/**
 * A real three-member etcd (Debian's etcd 3.4) over mutual TLS across three lab hosts: the
 * hosts reach each other on the bridge and keep their own data and certificates.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../lab/exec';
import { clusterDir } from '../../lab/paths';
import { startLab, TestLab } from '../helpers/lab';

const HOSTS = ['e1', 'e2', 'e3'];
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
const PKI = '/etc/etcd/pki';

/** A CA and one cert per host (server and client use, SAN = its address) plus an etcdctl client cert. */
async function makePki(dir: string, address: Record<string, string>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const o = (args: string[]) => run('openssl', args, { cwd: dir });
  await o(['req', '-x509', ...EC, '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=lab-etcd-ca']);
  const certs: Array<[string, string]> = [...HOSTS.map((h) => [h, `IP:${address[h]},IP:127.0.0.1,DNS:${h}`] as [string, string]), ['client', 'DNS:client']];
  for (const [name, san] of certs) {
    await o(['req', ...EC, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n`);
    await o(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`]);
  }
}

describe('lab etcd over mutual TLS', () => {
  let lab: TestLab;

  before(async () => {
    lab = await startLab({ prefix: 'etcd', hosts: HOSTS });
  });
  after(async () => {
    await lab?.down();
  });

  it('runs a healthy 3-member cluster that etcdctl reaches with client certificates', async () => {
    const pki = join(clusterDir(lab.cluster), 'pki');
    await makePki(pki, lab.address);
    const initial = HOSTS.map((h) => `${h}=https://${lab.address[h]}:2380`).join(',');
    for (const h of HOSTS) {
      for (const f of ['ca.crt', `${h}.crt`, `${h}.key`, 'client.crt', 'client.key']) {
        const target = f.startsWith(h) ? f.replace(h, 'member') : f;
        const r = await lab.ssh(h, `mkdir -p ${PKI} && cat > ${PKI}/${target} && chmod 600 ${PKI}/${target}`, { input: readFileSync(join(pki, f), 'utf8') });
        assert.equal(r.code, 0, r.stderr);
      }
      const a = lab.address[h];
      const flags = [
        `--name ${h}`, '--data-dir /var/lib/etcd/lab',
        `--listen-peer-urls https://${a}:2380`, `--initial-advertise-peer-urls https://${a}:2380`,
        `--listen-client-urls https://${a}:2379,https://127.0.0.1:2379`, `--advertise-client-urls https://${a}:2379`,
        `--initial-cluster ${initial}`, '--initial-cluster-state new', `--initial-cluster-token ${lab.cluster}`,
        `--cert-file ${PKI}/member.crt`, `--key-file ${PKI}/member.key`, `--trusted-ca-file ${PKI}/ca.crt`, '--client-cert-auth',
        `--peer-cert-file ${PKI}/member.crt`, `--peer-key-file ${PKI}/member.key`, `--peer-trusted-ca-file ${PKI}/ca.crt`, '--peer-client-cert-auth',
      ].join(' ');
      const r = await lab.ssh(h, `setsid -f etcd ${flags} >/var/log/etcd-lab.log 2>&1 </dev/null`);
      assert.equal(r.code, 0, r.stderr);
    }
    const endpoints = HOSTS.map((h) => `https://${lab.address[h]}:2379`).join(',');
    const ctl = `ETCDCTL_API=3 etcdctl --endpoints ${endpoints} --cacert ${PKI}/ca.crt --cert ${PKI}/client.crt --key ${PKI}/client.key`;
    let health = { code: 1, stdout: '', stderr: '' };
    for (let i = 0; i < 60 && health.code !== 0; i++) {
      health = await lab.ssh('e1', `${ctl} endpoint health 2>&1`);
      if (health.code !== 0) await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(health.code, 0, health.stdout);
    assert.equal((health.stdout.match(/is healthy/g) ?? []).length, 3, health.stdout);
    const members = await lab.ssh('e2', `${ctl} member list`);
    assert.equal(members.code, 0, members.stderr);
    const lines = members.stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    for (const h of HOSTS) assert.ok(lines.some((l) => l.includes(', started, ') && l.includes(`, ${h}, https://${lab.address[h]}:2380`)), members.stdout);
    // Mutual TLS: without a client certificate the cluster refuses.
    const anon = await lab.ssh('e3', `ETCDCTL_API=3 etcdctl --endpoints https://${lab.address.e1}:2379 --cacert ${PKI}/ca.crt --dial-timeout 2s --command-timeout 3s endpoint health 2>&1`);
    assert.notEqual(anon.code, 0, anon.stdout);
    // Data replicates across hosts.
    assert.equal((await lab.ssh('e1', `${ctl} put lab-key from-e1`)).code, 0);
    assert.equal((await lab.ssh('e3', `${ctl} get lab-key --print-value-only`)).stdout.trim(), 'from-e1');
  });
});
