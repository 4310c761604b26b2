/**
 * A property per kind of spec value: a hostile string put into that field is either rejected
 * (and the problem names the field), or the plan it renders is inert. Inert means every shell
 * script and command line still parses (`sh -n`), executing the ones the value changed never
 * runs the `canary` command hidden in it, and every config file it changed keeps its syntax.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { buildPlan } from '../../src/plan/build';
import { parseSpec, SpecError } from '../../src/spec/parse';
import type { Plan } from '../../src/plan/types';
import { configFiles, configProblems, runAll, sandbox, shellTexts, syntaxErrors, type ShellText } from '../helpers/inert';

const examples = {
  vip: parse(readFileSync('examples/ha-vip.yaml', 'utf8')),
  lp: parse(readFileSync('examples/ha-local-proxy.yaml', 'utf8')),
};
type Spec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const external = (): Spec => {
  const s = structuredClone(examples.lp);
  s.spec.loadBalancer = { type: 'external', address: 'lb.example.com', port: 6443, apiserverBindPort: 6443 };
  return s;
};

interface Slot {
  kind: string;
  /** The problem must start with this path. */
  field: string;
  base: () => Spec;
  put: (s: Spec, v: string) => void;
  /** A valid value of this kind (hostile strings are built around it). */
  benign: string;
  /** Valid-looking values of this kind, so the accepted-and-rendered branch is exercised too. */
  plausible: fc.Arbitrary<string>;
}

const at = (path: (string | number)[]) => (s: Spec, v: unknown) => {
  let o = s;
  for (const k of path.slice(0, -1)) o = o[k] ??= {};
  o[path[path.length - 1]] = v;
};
const seg = (re = '[a-z0-9._+@-]{1,8}') => fc.stringMatching(new RegExp(`^${re}$`));
const octet = fc.integer({ min: 1, max: 254 });

const SLOTS: Slot[] = [
  { kind: 'host path (etcd data dir, rm -rf in compensation)', field: 'spec.etcd.dataDir', base: () => structuredClone(examples.vip), put: at(['spec', 'etcd', 'dataDir']), benign: '/var/lib/etcd', plausible: fc.tuple(seg(), seg()).map(([a, b]) => `/srv/${a}/${b}`) },
  { kind: 'host path (external etcd data dir)', field: 'spec.etcd.dataDir', base: () => structuredClone(examples.lp), put: at(['spec', 'etcd', 'dataDir']), benign: '/var/lib/etcd', plausible: seg().map((a) => `/data/${a}`) },
  { kind: 'host path (audit log)', field: 'spec.apiServer.audit.logPath', base: () => structuredClone(examples.lp), put: at(['spec', 'apiServer', 'audit', 'logPath']), benign: '/var/log/kubernetes/audit/audit.log', plausible: seg().map((a) => `/var/log/k8s/${a}.log`) },
  { kind: 'host name (external LB address, healthz URL)', field: 'spec.loadBalancer.address', base: external, put: at(['spec', 'loadBalancer', 'address']), benign: 'lb.example.com', plausible: fc.tuple(seg('[a-z][a-z0-9-]{0,6}[a-z0-9]'), seg('[a-z]{2,5}')).map(([a, b]) => `${a}.${b}`) },
  { kind: 'host name (bastion)', field: 'spec.ssh.bastion.address', base: () => structuredClone(examples.vip), put: (s, v) => at(['spec', 'ssh', 'bastion'])(s, { address: v }), benign: 'jump.example.com', plausible: seg('[a-z][a-z0-9-]{0,6}[a-z0-9]') },
  { kind: 'node address (host)', field: 'spec.hosts[1].address', base: () => structuredClone(examples.vip), put: at(['spec', 'hosts', 1, 'address']), benign: '10.30.12.204', plausible: octet.filter((n) => n < 203 || n > 207).filter((n) => n !== 249).map((n) => `10.30.12.${n}`) },
  { kind: 'node address (VIP: keepalived, drill, check script)', field: 'spec.loadBalancer.vip', base: () => structuredClone(examples.vip), put: at(['spec', 'loadBalancer', 'vip']), benign: '10.30.12.249', plausible: octet.filter((n) => n < 203 || n > 207).map((n) => `10.30.12.${n}`) },
  { kind: 'interface name (keepalived.conf)', field: 'spec.loadBalancer.interface', base: () => structuredClone(examples.vip), put: at(['spec', 'loadBalancer', 'interface']), benign: 'eth0', plausible: seg('[a-z][a-z0-9_.@-]{0,14}') },
  { kind: 'sysctl key', field: 'spec.system.sysctls', base: () => structuredClone(examples.vip), put: (s, v) => at(['spec', 'system', 'sysctls'])(s, { 'net.ipv4.ip_forward': '1', [v]: '1' }), benign: 'vm.swappiness', plausible: fc.tuple(seg('[a-z][a-z0-9_]{0,6}'), seg('[a-z0-9_-]{1,8}')).map(([a, b]) => `${a}.${b}`) },
  { kind: 'sysctl value', field: 'spec.system.sysctls', base: () => structuredClone(examples.vip), put: (s, v) => at(['spec', 'system', 'sysctls'])(s, { 'net.ipv4.ip_forward': v }), benign: '1', plausible: fc.array(seg('[A-Za-z0-9._:,/+@%-]{1,6}'), { minLength: 1, maxLength: 3 }).map((w) => w.join(' ')) },
  { kind: 'extraArgs name', field: 'spec.apiServer.extraArgs', base: () => structuredClone(examples.lp), put: (s, v) => at(['spec', 'apiServer', 'extraArgs'])(s, { [v]: '1' }), benign: 'v', plausible: seg('[a-z][a-z0-9-]{0,12}') },
  { kind: 'extraArgs value', field: 'spec.controllerManager.extraArgs', base: () => structuredClone(examples.lp), put: (s, v) => at(['spec', 'controllerManager', 'extraArgs'])(s, { v }), benign: '2', plausible: seg('[ -~]{1,16}').filter((v) => v.trim() === v) },
  { kind: 'certSAN', field: 'spec.apiServer.certSANs', base: () => structuredClone(examples.lp), put: (s, v) => at(['spec', 'apiServer', 'certSANs'])(s, [v]), benign: '*.kubernetes.node', plausible: fc.tuple(fc.boolean(), seg('[a-z][a-z0-9-]{0,8}')).map(([w, a]) => `${w ? '*.' : ''}${a}.example.com`) },
  { kind: 'image reference (haproxy static pod)', field: 'spec.loadBalancer.haproxy.image', base: () => structuredClone(examples.vip), put: (s, v) => at(['spec', 'loadBalancer', 'haproxy'])(s, { image: v }), benign: 'docker.io/library/haproxy:2.8', plausible: fc.tuple(seg('[a-z0-9]{1,8}'), seg('[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}')).map(([r, t]) => `registry.example.com/${r}:${t}`) },
  { kind: 'image repository (kubeadm)', field: 'spec.imageRepository', base: () => structuredClone(examples.lp), put: at(['spec', 'imageRepository']), benign: 'registry.k8s.io', plausible: seg('[a-z0-9]{1,8}').map((r) => `mirror.example.com:5000/${r}`) },
  { kind: 'SSH user', field: 'spec.ssh.user', base: () => structuredClone(examples.vip), put: at(['spec', 'ssh', 'user']), benign: 'ubuntu', plausible: seg('[a-z_][a-z0-9_-]{0,12}') },
  { kind: 'cluster name (every comment and the etcd CA subject)', field: 'metadata.name', base: () => structuredClone(examples.lp), put: at(['metadata', 'name']), benign: 'prod', plausible: seg('[a-z][a-z0-9-]{0,10}[a-z0-9]') },
  { kind: 'host name (etcd member removal, certificates)', field: 'spec.hosts[1].name', base: () => structuredClone(examples.vip), put: at(['spec', 'hosts', 1, 'name']), benign: 'm2', plausible: seg('[a-z][a-z0-9-]{0,10}[a-z0-9]').filter((n) => !['m1', 'm3', 'w1', 'w2'].includes(n)) },
  { kind: 'duration (haproxy timeout)', field: 'spec.loadBalancer.haproxy.timeoutClient', base: () => structuredClone(examples.vip), put: (s, v) => at(['spec', 'loadBalancer', 'haproxy'])(s, { timeoutClient: v }), benign: '4h', plausible: fc.integer({ min: 1, max: 999 }).map((n) => `${n}s`) },
  { kind: 'duration (nginx proxy_timeout)', field: 'spec.loadBalancer.proxyTimeout', base: () => structuredClone(examples.lp), put: at(['spec', 'loadBalancer', 'proxyTimeout']), benign: '4h', plausible: fc.integer({ min: 1, max: 999 }).map((n) => `${n}m`) },
  { kind: 'kubelet quantity', field: 'spec.kubelet.evictionHard', base: () => structuredClone(examples.lp), put: (s, v) => at(['spec', 'kubelet', 'evictionHard'])(s, { 'memory.available': v }), benign: '256Mi', plausible: fc.integer({ min: 1, max: 999 }).map((n) => `${n}Mi`) },
];

/** Ways a value has been made to run a command, each around a valid value of the field. */
const PAYLOADS = [
  '$(canary)', '`canary`', ';canary', ';canary;', '&&canary', '||canary', '|canary', '&canary', '\ncanary\n', '\r\ncanary', "'$(canary)'", '"$(canary)"',
  "';canary;'", '";canary;"', '\\\ncanary', '${x:-$(canary)}', ' canary', '\tcanary', '>canary', '<(canary)', '$((1))$(canary)', '\n}\ncanary\n{',
  '}', '{', '#', '*', '?', '[a]', '..', '/', '%', '=', '\u00e9', '\u2028canary', '\0canary', ' ', '',
];
const hostile = (slot: Slot): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...PAYLOADS), fc.constantFrom('prefix', 'suffix', 'alone', 'middle')).map(([p, where]) => (where === 'prefix' ? `${slot.benign}${p}` : where === 'suffix' ? `${p}${slot.benign}` : where === 'alone' ? p : `${slot.benign.slice(0, 2)}${p}${slot.benign.slice(2)}`)) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'$`;|&(){}[]<>*?\'"\\\n\t #!%=/.'), minLength: 1, maxLength: 12 }).map((x) => `${slot.benign}${x}canary`) },
    { weight: 3, arbitrary: slot.plausible },
  );

const sb = sandbox();
after(() => sb.close());

function plansOf(slot: Slot, value: string): { plan?: Plan; problems?: string[] } {
  const s = slot.base();
  slot.put(s, value);
  try {
    return { plan: buildPlan(parseSpec(stringify(s), 'c.yaml')) };
  } catch (err) {
    if (err instanceof SpecError) return { problems: err.problems };
    throw err;
  }
}

for (const slot of SLOTS) {
  test(`hostile ${slot.kind}: rejected naming ${slot.field}, or rendered inert`, () => {
    const baseline = plansOf(slot, slot.benign).plan;
    assert.ok(baseline, `the benign value ${slot.benign} must be accepted`);
    const baseTexts = new Set(shellTexts(baseline).map((t) => t.text));
    assert.deepEqual(syntaxErrors(sb, shellTexts(baseline)), []);
    const baseConfigs = configFiles(baseline);
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(hostile(slot), (value) => {
        const r = plansOf(slot, value);
        if (r.problems) {
          rejected++;
          assert.ok(r.problems.some((p) => p.startsWith(slot.field)), `${JSON.stringify(value)} was rejected without naming ${slot.field}:\n${r.problems.join('\n')}`);
          return;
        }
        accepted++;
        const plan = r.plan as Plan;
        // What the value changed is what it could have broken: check and run exactly those texts.
        const changed: ShellText[] = shellTexts(plan).filter((t) => !baseTexts.has(t.text));
        assert.deepEqual(syntaxErrors(sb, changed), [], `${JSON.stringify(value)}: rendered shell that does not parse`);
        assert.equal(runAll(sb, changed), '', `${JSON.stringify(value)}: the canary ran`);
        for (const [key, content] of configFiles(plan)) {
          const before = baseConfigs.get(key);
          if (before === undefined || before === content) continue;
          assert.deepEqual(configProblems(key, before, content, value), [], `${JSON.stringify(value)}`);
        }
      }),
      { numRuns: 40, seed: Number(process.env.HAKUBE_FC_SEED ?? 1414), endOnFailure: true },
    );
    assert.ok(rejected > 0, 'no hostile value was rejected');
    assert.ok(accepted > 0, 'no value was accepted: the rendering branch was never tried');
  });
}

test('the harness catches what it is for: an unquoted value runs the canary, an unbalanced one fails sh -n', () => {
  const unquoted: ShellText = { name: 'pasted', text: 'URL=https://x$(canary)/healthz\necho "$URL"\n' };
  assert.match(runAll(sb, [unquoted]), /canary/);
  assert.deepEqual(syntaxErrors(sb, [{ name: 'open', text: "echo 'x\n" }]), ['open']);
  assert.deepEqual(configProblems('/etc/keepalived/keepalived.conf', 'interface eth0\n', 'interface eth0}\n', 'eth0}'), ['/etc/keepalived/keepalived.conf: the value brings syntax characters "}"']);
});
