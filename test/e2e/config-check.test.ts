/**
 * Rendered configs against the real tools: kubeadm v1.34.1 `config validate`, `haproxy -c`,
 * `nginx -t`, `keepalived -t`, `sh -n` on every script, and the external etcd PKI + member
 * configs forming a real 3-member etcd cluster over mutual TLS, where compensation's member
 * removal script then runs (in a private network namespace on loopback addresses, so it touches
 * nothing else on the machine).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { parseSpec } from '../../src/spec/parse';
import type { Cluster } from '../../src/spec/types';
import { buildPlan } from '../../src/plan';
import { buildApplyPlan, buildResetPlan } from '../../src/plan/actions';
import { renderKubeadmConfig } from '../../src/render/kubeadm';
import { renderHaproxyCfg } from '../../src/render/haproxy';
import { renderNginxConf } from '../../src/render/nginx';
import { renderKeepalivedCheck, renderKeepalivedConf } from '../../src/render/keepalived';
import { memberCertDir, renderEtcdCertScript, renderEtcdConfig, renderEtcdHealthScript } from '../../src/render/etcd';
import { renderEtcdMemberRemoveScript } from '../../src/render/reset';
import { controlPlanes, etcdHosts } from '../../src/spec/topology';
import { ETCD_DRIVERS } from '../../src/drivers/etcd';

const externalEtcdCerts = ETCD_DRIVERS.external.clientCerts;

const KUBEADM = resolve('.tools/bin/kubeadm');
const work = mkdtempSync(join(tmpdir(), 'hakube-config-check-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

const example = (name: string) => parseSpec(readFileSync(`examples/${name}.yaml`, 'utf8'), name);
const spec = (obj: unknown) => parseSpec(stringify(obj));

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: opts.timeout ?? 60_000, env: { ...process.env, ...opts.env } });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): void {
  assert.equal(r.status, 0, `${what} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
}

function put(rel: string, content: string): string {
  const path = join(work, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

/** Variants beyond the examples: the other LB types and settings that change the kubeadm config. */
const variants: Array<[string, Cluster]> = [
  ['ha-vip', example('ha-vip')],
  ['ha-local-proxy', example('ha-local-proxy')],
  [
    'external-lb',
    spec({
      apiVersion: 'hakube.io/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'ext' },
      spec: {
        kubernetesVersion: 'v1.34.1',
        hosts: [
          { name: 'c1', address: '192.168.50.11', roles: ['control-plane'] },
          { name: 'w1', address: '192.168.50.21', roles: ['worker'] },
        ],
        loadBalancer: { type: 'external', address: 'lb.example.com' },
        apiServer: { audit: { enabled: false }, extraArgs: { 'service-node-port-range': '30000-50000' } },
        kubelet: { cgroupDriver: 'cgroupfs' },
        etcd: { heartbeatInterval: 1000, electionTimeout: 5000, dataDir: '/data/etcd' },
        kubeProxy: { mode: 'nftables' },
        imageRepository: 'registry.example.com/k8s',
      },
    }),
  ],
];

test('kubeadm config validate (real kubeadm v1.34.1) accepts every rendered config', () => {
  assert.ok(existsSync(KUBEADM), `${KUBEADM} is missing: run bash scripts/setup.sh`);
  assert.match(run(KUBEADM, ['version', '-o', 'short']).stdout, /^v1\.34\.1/);
  for (const [name, c] of variants) {
    const path = put(`kubeadm/${name}.yaml`, renderKubeadmConfig(c));
    const r = run(KUBEADM, ['config', 'validate', '--config', path]);
    ok(r, `kubeadm config validate ${name}`);
    assert.doesNotMatch(r.stderr, /unknown field|strict decoding/i, `${name}: ${r.stderr}`);
  }
  // The check is real: a broken config is refused.
  const bad = put('kubeadm/bad.yaml', renderKubeadmConfig(example('ha-vip')).replace('podSubnet: 10.244.0.0/16', 'podSubnet: 10.244.0.0/99'));
  assert.notEqual(run(KUBEADM, ['config', 'validate', '--config', bad]).status, 0);
});

test('haproxy -c accepts haproxy.cfg (all backends, and without a compensated master)', () => {
  const c = example('ha-vip');
  for (const [name, text] of [['all', renderHaproxyCfg(c)], ['without-m2', renderHaproxyCfg(c, 'm2')]]) {
    ok(run('haproxy', ['-c', '-f', put(`haproxy/${name}.cfg`, text)]), `haproxy -c ${name}`);
  }
  assert.notEqual(run('haproxy', ['-c', '-f', put('haproxy/bad.cfg', renderHaproxyCfg(c).replace('check-ssl', 'check-sssl'))]).status, 0);
});

test('nginx -t accepts the local proxy config, loading the stream module the distro way', () => {
  const c = example('ha-local-proxy');
  ok(run('nginx', ['-t', '-q', '-c', put('nginx/nginx.conf', renderNginxConf(c))]), 'nginx -t');
  // Without the module include, `stream` is unknown on Debian: the include is what makes it pass.
  const noModules = renderNginxConf(c).replace(/^include .*modules.*$/gm, '');
  assert.notEqual(run('nginx', ['-t', '-q', '-c', put('nginx/no-modules.conf', noModules)]).status, 0);
});

test('keepalived -t accepts keepalived.conf on every control plane (with its check script in place)', () => {
  const c = example('ha-vip');
  // keepalived checks the script at its real path: give it one in a private mount namespace.
  assert.ok(existsSync('/etc/keepalived'), '/etc/keepalived (from the keepalived package) is the mount point');
  for (const h of controlPlanes(c)) {
    const dir = join(work, 'keepalived', h.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'keepalived.conf'), renderKeepalivedConf(c, h));
    writeFileSync(join(dir, 'check_apiserver.sh'), renderKeepalivedCheck(c), { mode: 0o755 });
    const r = run('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `mount --bind '${dir}' /etc/keepalived && keepalived -t -f /etc/keepalived/keepalived.conf`]);
    ok(r, `keepalived -t on ${h.name}`);
  }
});

test('sh -n: every script in both plans (deploy, reset with --wipe-etcd, apply with hosts leaving) parses', () => {
  let n = 0;
  for (const name of ['ha-vip', 'ha-local-proxy']) {
    const c = example(name);
    // Stacked: a master and a worker leave; external etcd keeps its members, so only a worker.
    const leaving = c.spec.etcd.topology === 'stacked' ? [2, c.spec.hosts.length - 1] : [c.spec.hosts.length - 1];
    const shrunk = { ...c, spec: { ...c.spec, hosts: c.spec.hosts.filter((_h, i) => !leaving.includes(i)) } };
    const plans = { deploy: buildPlan(c), reset: buildResetPlan(c, true), apply: buildApplyPlan(c, shrunk) };
    for (const [action, plan] of Object.entries(plans)) {
      for (const s of plan.phases.flatMap((p) => p.steps)) {
        for (const f of s.files.filter((x) => x.content.startsWith('#!/bin/sh'))) {
          ok(run('sh', ['-n', put(`scripts/${name}/${action}/${s.host}${f.path}`, f.content)]), `sh -n ${action} ${s.id} ${f.path}`);
          n++;
        }
      }
    }
  }
  assert.ok(n > 20, `checked ${n} scripts`);
});

test('external etcd: the rendered PKI script and member configs form a healthy 3-member cluster over mutual TLS', () => {
  const c = spec({
    apiVersion: 'hakube.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'etcdcheck' },
    spec: {
      hosts: [1, 2, 3].map((i) => ({ name: `e${i}`, address: `10.254.0.${10 + i}`, roles: ['control-plane', 'etcd'] })),
      etcd: { topology: 'external' },
      loadBalancer: { type: 'local-proxy' },
    },
  });
  // The members run on loopback in a private network namespace, which a spec may not name (no
  // other host could reach it): the validated spec is moved there for rendering only.
  c.spec.hosts.forEach((h, i) => (h.address = `127.0.0.${11 + i}`));
  const pki = join(work, 'etcd-pki');
  const gen = put('etcd/etcd-certs.sh', renderEtcdCertScript(c));
  ok(run('sh', [gen], { env: { ETCD_PKI_DIR: pki } }), 'etcd cert script');
  // A rerun keeps what exists.
  const before = readFileSync(join(pki, 'members/e2/server.crt'), 'utf8');
  ok(run('sh', [gen], { env: { ETCD_PKI_DIR: pki } }), 'etcd cert script rerun');
  assert.equal(readFileSync(join(pki, 'members/e2/server.crt'), 'utf8'), before);
  const verify = run('openssl', ['verify', '-CAfile', join(pki, 'ca.crt'), '-purpose', 'sslclient', join(pki, 'apiserver-etcd-client.crt')]);
  ok(verify, 'openssl verify client cert');

  // Lay out each member as the plan's file copies would, under its own directory.
  const local = (p: string, member: string) => p.replaceAll('/etc/etcd/pki/', `${work}/etcd/${member}/pki/`);
  const script: string[] = ['set -e', 'ip link set lo up', 'pids=""', 'trap \'kill $pids 2>/dev/null; wait\' EXIT'];
  for (const h of etcdHosts(c)) {
    const dir = join(work, 'etcd', h.name, 'pki');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(pki, 'ca.crt'), join(dir, 'ca.crt'));
    for (const f of ['server.crt', 'server.key', 'peer.crt', 'peer.key']) copyFileSync(join(pki, memberCertDir(h.name).replace('/etc/etcd/pki/', ''), f), join(dir, f));
    const conf = local(renderEtcdConfig(c, h), h.name).replace('data-dir: /var/lib/etcd', `data-dir: ${work}/etcd/${h.name}/data`);
    const confPath = put(`etcd/${h.name}/etcd.conf.yml`, conf);
    script.push(`etcd --config-file '${confPath}' > '${work}/etcd/${h.name}/log' 2>&1 & pids="$pids $!"`);
  }
  const health = renderEtcdHealthScript(c, externalEtcdCerts).replaceAll('/etc/etcd/pki/', `${pki}/`);
  script.push(`sh '${put('etcd/health.sh', health)}'`);
  // The v3 JSON gateway answers too (clients without gRPC, e.g. curl, use it).
  script.push(`echo GATEWAY; curl -s --cacert ${pki}/ca.crt --cert ${pki}/apiserver-etcd-client.crt --key ${pki}/apiserver-etcd-client.key -X POST https://127.0.0.12:2379/v3/kv/range -d '{"key":"Zm9v"}'; echo`);
  // Compensation's member removal (rendered for the stacked layout) against the real cluster: a
  // join that failed after \`member add\` leaves an unstarted member with no name yet.
  const remove = renderEtcdMemberRemoveScript({ name: 'e4', address: '127.0.0.14', roles: ['control-plane'] })
    .replace('https://127.0.0.1:2379', 'https://127.0.0.11:2379')
    .replace('/etc/kubernetes/pki/etcd/ca.crt', `${pki}/ca.crt`)
    .replace('/etc/kubernetes/pki/etcd/healthcheck-client.crt', `${pki}/apiserver-etcd-client.crt`)
    .replace('/etc/kubernetes/pki/etcd/healthcheck-client.key', `${pki}/apiserver-etcd-client.key`);
  const ctl = `ETCDCTL_API=3 etcdctl --endpoints https://127.0.0.11:2379 --cacert ${pki}/ca.crt --cert ${pki}/apiserver-etcd-client.crt --key ${pki}/apiserver-etcd-client.key`;
  // etcd refuses reconfiguration until members have been connected a few seconds: retry.
  script.push(`i=0; until ${ctl} member add e4 --peer-urls https://127.0.0.14:2380 >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 30 ]; sleep 1; done`, `echo MEMBERS-BEFORE; ${ctl} member list`, `echo REMOVE; sh '${put('etcd/remove.sh', remove)}'`);
  // A private network namespace: the members' loopback addresses and ports exist only in there.
  const r = run('unshare', ['-n', 'sh', '-c', script.join('\n')], { timeout: 180_000 });
  const logs = etcdHosts(c).map((h) => readFileSync(join(work, 'etcd', h.name, 'log'), 'utf8').slice(-1500)).join('\n---\n');
  ok(Object.assign(r, { stderr: `${r.stderr}\n${logs}` }), 'etcd cluster health');
  for (const h of etcdHosts(c)) assert.match(r.stdout + r.stderr, new RegExp(`https://${h.address.replaceAll('.', '\\.')}:2379 is healthy`));
  assert.match(r.stdout.split('GATEWAY')[1], /"header":\{"cluster_id"/);
  const listed = r.stdout.split('MEMBERS-BEFORE')[1].split('REMOVE')[0];
  assert.match(listed, /unstarted, , https:\/\/127\.0\.0\.14:2380/);
  const after = r.stdout.split('REMOVE')[1];
  assert.match(after, /removing etcd member [0-9a-f]+ \( https:\/\/127\.0\.0\.14:2380, unstarted\)/);
  assert.doesNotMatch(after.split('removed from cluster')[1], /127\.0\.0\.14/, `e4 is gone from the member list:\n${after}`);
  assert.equal((after.match(/, started, e\d,/g) ?? []).length, 3, 'the three real members remain');
  assert.match(r.stdout, /\| *e1 *\|/);
  assert.match(r.stdout, /\| *e3 *\|/);
});
