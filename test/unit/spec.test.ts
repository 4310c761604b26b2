/**
 * Every validation rule of issue 5, one bad spec each: the problem line must name the field
 * path, quote the bad value where there is one, and say how to fix it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseSpec, SpecError } from '../../src/spec/parse';
import { loadSpec } from '../../src/spec/load';
import { CliError } from '../../src/cli/exit';
import { controlPlaneEndpoint, etcdHosts, master0, workers } from '../../src/spec/topology';

const vipText = readFileSync('examples/ha-vip.yaml', 'utf8');
const lpText = readFileSync('examples/ha-local-proxy.yaml', 'utf8');

/** A valid spec object to break one field at a time. */
function base(): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return {
    apiVersion: 'hakube.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'demo' },
    spec: {
      hosts: [
        { name: 'm1', address: '10.0.0.11', roles: ['control-plane'] },
        { name: 'm2', address: '10.0.0.12', roles: ['control-plane'] },
        { name: 'w1', address: '10.0.0.21', roles: ['worker'] },
      ],
      loadBalancer: { type: 'vip', vip: '10.0.0.100', interface: 'eth0' },
    },
  };
}

function problems(obj: unknown): string[] {
  try {
    parseSpec(typeof obj === 'string' ? obj : stringify(obj), 'c.yaml');
  } catch (err) {
    assert.ok(err instanceof SpecError, String(err));
    return err.problems;
  }
  assert.fail('spec was accepted');
}

function expectProblem(obj: unknown, ...parts: (string | RegExp)[]): void {
  const ps = problems(obj);
  const hit = ps.find((p) => parts.every((x) => (typeof x === 'string' ? p.includes(x) : x.test(p))));
  assert.ok(hit, `no problem matching ${parts.join(' & ')} in:\n${ps.join('\n')}`);
}

test('both examples are valid and resolve the seeds\' topology', () => {
  const vip = parseSpec(vipText);
  assert.equal(master0(vip).name, 'm1');
  assert.equal(controlPlaneEndpoint(vip), '10.30.12.249:8443');
  assert.deepEqual(etcdHosts(vip).map((h) => h.name), ['m1', 'm2', 'm3']);
  assert.deepEqual(workers(vip).map((h) => h.name), ['w1', 'w2']);
  const lp = parseSpec(lpText);
  assert.equal(controlPlaneEndpoint(lp), '127.0.0.1:6443');
  assert.equal(lp.spec.loadBalancer.apiserverBindPort, 5443);
  assert.deepEqual(etcdHosts(lp).map((h) => h.name), ['k1', 'k2', 'k3']);
});

test('defaults: ports by LB type and a deterministic router id', () => {
  const c = parseSpec(stringify(base()));
  assert.equal(c.spec.loadBalancer.port, 8443);
  assert.equal(c.spec.loadBalancer.apiserverBindPort, 6443);
  const id = c.spec.loadBalancer.virtualRouterId;
  assert.ok(id >= 1 && id <= 255);
  assert.equal(parseSpec(stringify(base())).spec.loadBalancer.virtualRouterId, id);
  const other = base();
  other.metadata.name = 'other';
  assert.notEqual(parseSpec(stringify(other)).spec.loadBalancer.virtualRouterId, id);
  assert.equal(c.spec.etcd.topology, 'stacked');
  assert.equal(c.spec.kubernetesVersion, 'v1.34.1');
});

test('host name not a DNS-1123 label (e.g. HCITos_cvm)', () => {
  const s = base();
  s.spec.hosts.push({ name: 'HCITos_cvm', address: '10.0.0.22', roles: ['worker'] });
  expectProblem(s, 'spec.hosts[3].name: "HCITos_cvm" is not a DNS-1123 label', "use lowercase letters, digits and '-'");
});

test('cluster name not a DNS-1123 label, and longer than 63', () => {
  const s = base();
  s.metadata.name = 'My.Cluster';
  expectProblem(s, 'metadata.name: "My.Cluster" is not a DNS-1123 label');
  s.metadata.name = 'a'.repeat(64);
  expectProblem(s, 'metadata.name:', 'longer than 63');
});

test('duplicate host names and addresses', () => {
  const s = base();
  s.spec.hosts[1].name = 'm1';
  expectProblem(s, 'spec.hosts[1].name: "m1" is also the name of spec.hosts[0]');
  const t = base();
  t.spec.hosts[2].address = '10.0.0.11';
  expectProblem(t, 'spec.hosts[2].address: "10.0.0.11" is also the address of spec.hosts[0] (m1)');
});

test('bad IP and bad CIDRs', () => {
  const s = base();
  s.spec.hosts[0].address = '10.0.0.256';
  expectProblem(s, 'spec.hosts[0].address: "10.0.0.256" is not an IPv4 address');
  const t = base();
  t.spec.networking = { podSubnet: '10.244.0.0/33', serviceSubnet: '10.96.0.0' };
  expectProblem(t, 'spec.networking.podSubnet: "10.244.0.0/33" is not an IPv4 CIDR');
  expectProblem(t, 'spec.networking.serviceSubnet: "10.96.0.0" is not an IPv4 CIDR');
});

test('overlapping pod and service subnets; host inside the pod subnet', () => {
  const s = base();
  s.spec.networking = { podSubnet: '10.96.0.0/16', serviceSubnet: '10.96.0.0/12' };
  expectProblem(s, 'spec.networking.serviceSubnet: "10.96.0.0/12" overlaps spec.networking.podSubnet "10.96.0.0/16"');
  const t = base();
  t.spec.networking = { podSubnet: '10.0.0.0/16' };
  expectProblem(t, 'spec.hosts[0].address: "10.0.0.11" lies inside spec.networking.podSubnet');
});

test('no control plane', () => {
  const s = base();
  s.spec.hosts = [{ name: 'w1', address: '10.0.0.21', roles: ['worker'] }];
  expectProblem(s, 'spec.hosts: has no control-plane host');
});

test('stacked etcd with an etcd-only host', () => {
  const s = base();
  s.spec.hosts.push({ name: 'e1', address: '10.0.0.31', roles: ['etcd'] });
  expectProblem(s, 'spec.hosts[3].roles: ["etcd"] has etcd without control-plane', 'topology: external');
});

test('external etcd with no etcd host', () => {
  const s = base();
  s.spec.etcd = { topology: 'external' };
  expectProblem(s, 'spec.etcd.topology: "external" needs hosts with the etcd role');
});

test('VIP missing, or equal to a host address; interface missing', () => {
  const s = base();
  delete s.spec.loadBalancer.vip;
  delete s.spec.loadBalancer.interface;
  expectProblem(s, 'spec.loadBalancer.vip: is required when loadBalancer.type is vip');
  expectProblem(s, 'spec.loadBalancer.interface: is required');
  const t = base();
  t.spec.loadBalancer.vip = '10.0.0.12';
  expectProblem(t, 'spec.loadBalancer.vip: "10.0.0.12" is the address of spec.hosts[1] (m2)');
});

test('virtualRouterId out of range', () => {
  for (const id of [0, 256]) {
    const s = base();
    s.spec.loadBalancer.virtualRouterId = id;
    expectProblem(s, `spec.loadBalancer.virtualRouterId: ${id} is out of range; a VRRP virtual router id is 1..255`);
  }
});

test('LB port equal to the apiserver bind port where both listen on one host', () => {
  const s = base();
  s.spec.loadBalancer.port = 6443;
  s.spec.loadBalancer.apiserverBindPort = 6443;
  expectProblem(s, 'spec.loadBalancer.port: 6443 equals spec.loadBalancer.apiserverBindPort', 'haproxy');
  const lp = base();
  lp.spec.loadBalancer = { type: 'local-proxy', port: 6443, apiserverBindPort: 6443 };
  expectProblem(lp, 'spec.loadBalancer.port: 6443 equals', 'nginx');
  const ext = base();
  ext.spec.loadBalancer = { type: 'external', address: 'lb.example.com', port: 6443, apiserverBindPort: 6443 };
  assert.doesNotThrow(() => parseSpec(stringify(ext)));
});

test('unknown role, CNI, topology, LB type', () => {
  const s = base();
  s.spec.hosts[0].roles = ['master'];
  s.spec.cni = { plugin: 'calico' };
  s.spec.etcd = { topology: 'local' };
  expectProblem(s, 'spec.hosts[0].roles[0]: "master" is not a role');
  expectProblem(s, 'spec.cni.plugin: "calico" is not a supported CNI plugin');
  expectProblem(s, 'spec.etcd.topology: "local" is not an etcd topology');
  const t = base();
  t.spec.loadBalancer.type = 'f5';
  expectProblem(t, 'spec.loadBalancer.type: "f5" is not a load balancer type');
});

test('ports out of range', () => {
  const s = base();
  s.spec.loadBalancer.port = 70000;
  s.spec.ssh = { port: 0 };
  expectProblem(s, 'spec.loadBalancer.port: 70000 is out of range; use a port between 1 and 65535');
  expectProblem(s, 'spec.ssh.port: 0 is out of range');
});

test('unknown or misspelled keys are named, with a suggestion', () => {
  const s = base();
  s.spec.loadBalancer.vipp = '10.0.0.9';
  s.spec.hostz = [];
  expectProblem(s, 'spec.loadBalancer.vipp: is not a known key; did you mean "vip"?');
  expectProblem(s, 'spec.hostz: is not a known key; did you mean "hosts"?');
});

test('fields for another LB type are rejected', () => {
  const s = base();
  s.spec.loadBalancer = { type: 'local-proxy', vip: '10.0.0.100' };
  expectProblem(s, 'spec.loadBalancer.vip: "10.0.0.100" is only used when loadBalancer.type is vip');
});

test('etcd election timeout below 5 heartbeats', () => {
  const s = base();
  s.spec.etcd = { heartbeatInterval: 1000, electionTimeout: 3000 };
  expectProblem(s, 'spec.etcd.electionTimeout: 3000 is less than 5 x spec.etcd.heartbeatInterval (1000)', 'at least 5000');
});

test('unsupported Kubernetes version', () => {
  const s = base();
  s.spec.kubernetesVersion = 'v1.18.0';
  expectProblem(s, 'spec.kubernetesVersion: "v1.18.0" is not a supported Kubernetes version');
});

test('problems carry the YAML line they point at', () => {
  const text = vipText.replace('name: m2,', 'name: M_2,');
  const line = text.split('\n').findIndex((l) => l.includes('M_2')) + 1;
  expectProblem(text, 'spec.hosts[1].name: "M_2"', `(c.yaml:${line})`);
});

test('YAML syntax error names its line', () => {
  expectProblem('apiVersion: hakube.io/v1alpha1\nkind: Cluster\nspec:\n  hosts: [\n', /^c\.yaml:\d+: YAML syntax error/);
  expectProblem('a: 1\na: 2\n', /^c\.yaml:2: YAML syntax error:.*unique/i);
});

test('empty file, a non-mapping document, and a missing file', () => {
  expectProblem('   \n', 'c.yaml: the file is empty');
  expectProblem('- a\n- b\n', 'expected a mapping', 'found a list');
  const dir = mkdtempSync(join(tmpdir(), 'hakube-spec-'));
  assert.throws(() => loadSpec(join(dir, 'nope.yaml')), (e: unknown) => e instanceof CliError && e.exitCode === 2 && /no such file/.test(e.message));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, stringify({ ...base(), kind: 'Clustr' }));
  assert.throws(() => loadSpec(bad), (e: unknown) => e instanceof CliError && e.exitCode === 2 && /kind: "Clustr" is not a known kind/.test(e.message));
});

test('a spec with several problems reports all of them, one line each', () => {
  const s = base();
  s.spec.hosts[0].name = 'Bad_Name';
  s.spec.hosts[1].address = 'nope';
  s.spec.loadBalancer.virtualRouterId = 999;
  const ps = problems(s);
  assert.equal(ps.length, 3, ps.join('\n'));
  for (const p of ps) assert.ok(!p.includes('\n'));
});

test('hakube schema prints a strict JSON Schema editors can use', () => {
  const { clusterJsonSchema } = require('../../src/spec/json-schema') as typeof import('../../src/spec/json-schema');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const s = clusterJsonSchema() as any;
  assert.equal(s.additionalProperties, false);
  assert.deepEqual([...s.required].sort(), ['apiVersion', 'kind', 'metadata', 'spec']);
  const spec = s.properties.spec;
  assert.equal(spec.additionalProperties, false);
  assert.deepEqual(spec.required, ['hosts']);
  const host = spec.properties.hosts.items;
  assert.equal(host.additionalProperties, false);
  assert.deepEqual(host.properties.roles.items.enum, ['control-plane', 'etcd', 'worker']);
  assert.equal(host.properties.address.format, 'ipv4');
  assert.equal(spec.properties.loadBalancer.properties.virtualRouterId.maximum, 255);
  assert.deepEqual(spec.properties.etcd.properties.topology.enum, ['stacked', 'external']);
});
