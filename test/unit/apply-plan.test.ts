/**
 * apply's planning, pure: what is refused before any host is touched (with the quorum
 * numbers), which hosts are added and removed, which files change where, and the order of the
 * removal phases in front of the new spec's deploy phases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSpec } from '../../src/spec/parse';
import { buildApplyPlan, buildResetPlan } from '../../src/plan/actions';
import { buildPlan } from '../../src/plan/build';
import { changedFiles, diffSpecs, diffText } from '../../src/plan/diff';
import { renderRemovalGateScript } from '../../src/render/removal-gate';

const VIP = readFileSync('examples/ha-vip.yaml', 'utf8');
const LP = readFileSync('examples/ha-local-proxy.yaml', 'utf8');
const vip = (edit: (t: string) => string = (t) => t) => parseSpec(edit(VIP));
const host = (name: string, addr: string, role: string) => `    - { name: ${name}, address: ${addr}, roles: [${role}] }\n`;
const addHosts = (...lines: string[]) => (t: string) => t.replace('  etcd:\n', `${lines.join('')}  etcd:\n`);
const drop = (...names: string[]) => (t: string) => t.split('\n').filter((l) => !names.some((n) => l.includes(`name: ${n},`))).join('\n');

test('changes apply cannot make are refused, each naming the field and what to do', () => {
  const prev = vip();
  const next = vip((t) => t.replace('topology: stacked', 'topology: external').replace('roles: [control-plane] }', 'roles: [control-plane, etcd] }'));
  assert.match(diffSpecs(prev, next).refused.join('\n'), /spec\.etcd\.topology changed from "stacked" to "external": etcd cannot move/);
  const subnet = vip((t) => t.replace(/podSubnet: \S+/, 'podSubnet: 10.250.0.0/16'));
  assert.match(diffSpecs(prev, subnet).refused.join('\n'), /spec\.networking\.podSubnet changed/);
  const moved = vip((t) => t.replace('10.30.12.207', '10.30.12.217'));
  assert.match(diffSpecs(prev, moved).refused.join('\n'), /w2: address changed from 10\.30\.12\.207 to 10\.30\.12\.217/);
  assert.throws(() => buildApplyPlan(prev, next), /etcd cannot move/);
  const renamed = vip((t) => t.replace('name: ha-vip', 'name: ha-vip2'));
  assert.match(diffSpecs(prev, renamed).refused.join('\n'), /metadata\.name changed from "ha-vip" to "ha-vip2": a renamed cluster is another cluster/);
  const services = vip((t) => t.replace('serviceSubnet: 10.96.0.0/12', 'serviceSubnet: 10.100.0.0/16'));
  assert.match(diffSpecs(prev, services).refused.join('\n'), /spec\.networking\.serviceSubnet changed .*cannot change in place/);
  assert.throws(() => buildApplyPlan(prev, services), /serviceSubnet/);
});

test('quorum arithmetic: removing 2 of 3 stacked members is refused with the numbers; 1 of 3 is fine', () => {
  const prev = vip();
  const two = diffSpecs(prev, vip(drop('m2', 'm3')));
  assert.match(two.refused.join('\n'), /removing 2 of 3 control planes \(m2, m3\) leaves 1 etcd member, fewer than the quorum of 2 the 3 members need: remove at most 1 per apply/);
  const one = diffSpecs(prev, vip(drop('m3')));
  assert.deepEqual(one.refused, []);
  assert.deepEqual(one.removedMasters.map((h) => h.name), ['m3']);
});

test('master0 may leave while another joined control plane takes over; a new host cannot be master0', () => {
  const d = diffSpecs(vip(), vip(drop('m1')));
  assert.deepEqual(d.refused, []);
  assert.equal(d.newMaster0, 'm2');
  const plan = buildApplyPlan(vip(), vip(drop('m1')));
  assert.equal(plan.master0, 'm2');
  assert.ok(plan.phases.find((p) => p.name === 'remove-members')!.steps.every((s) => s.host === 'm2'), 'the new master0 removes the old one\'s member');
  const fresh = vip((t) => drop('m1')(t).replace(host('m2', '10.30.12.204', 'control-plane').trimEnd(), `${host('m9', '10.30.12.230', 'control-plane')}${host('m2', '10.30.12.204', 'control-plane').trimEnd()}`));
  assert.match(diffSpecs(vip(), fresh).refused.join('\n'), /master0 would become m9, which is not part of the cluster yet/);
});

test('adding a master and two workers: nothing removed, every haproxy and keepalived rewritten, the new ones join', () => {
  const prev = vip();
  const next = vip(addHosts(host('m4', '10.30.12.208', 'control-plane'), host('w3', '10.30.12.209', 'worker'), host('w4', '10.30.12.210', 'worker')));
  const d = diffSpecs(prev, next);
  assert.deepEqual([d.addedMasters, d.addedWorkers, d.removedMasters, d.removedWorkers].map((hs) => hs.map((h) => h.name)), [['m4'], ['w3', 'w4'], [], []]);
  const files = changedFiles(buildPlan(prev), buildPlan(next));
  for (const h of ['m1', 'm2', 'm3']) assert.ok(files.some((f) => f.host === h && f.path === '/etc/haproxy/haproxy.cfg' && f.change === 'changed'), `${h} haproxy.cfg`);
  assert.ok(files.some((f) => f.host === 'm4' && f.path === '/etc/keepalived/keepalived.conf' && f.change === 'new'));
  assert.ok(!files.some((f) => f.host === 'w1'), 'an old worker keeps its files');
  const plan = buildApplyPlan(prev, next);
  assert.deepEqual(plan.phases.slice(0, 5).map((p) => [p.name, p.skipped]), [['drain', true], ['remove-backends', true], ['remove-members', true], ['remove-hosts', true], ['forget-nodes', true]]);
  const haproxy = plan.phases.find((p) => p.name === 'lb')!.steps.find((s) => s.host === 'm1')!.files.find((f) => f.path === '/etc/haproxy/haproxy.cfg')!.content;
  assert.match(haproxy, /server m4 10\.30\.12\.208:6443/);
  assert.deepEqual(plan.phases.find((p) => p.name === 'join-masters')!.hosts, ['m2', 'm3', 'm4']);
  assert.match(diffText(d, files), /^add control planes \(one at a time, fresh credentials\): m4\nadd workers: w3, w4\nfiles that change:\n[\s\S]*\n {2}m1: [^\n]*\/etc\/haproxy\/haproxy\.cfg \(changed\)/);
});

test('removing a worker and a master: drained on master0, the member removed before the reset, then the Node objects', () => {
  const plan = buildApplyPlan(vip(), vip(drop('m3', 'w2')));
  const p = (n: string) => plan.phases.find((x) => x.name === n)!;
  assert.deepEqual(p('drain').steps.map((s) => `${s.host}:${s.id.split('/')[2]}`), ['m1:drain-w2', 'm1:drain-m3']);
  assert.match(p('drain').steps[0].files[0].content, /kubectl --kubeconfig \/etc\/kubernetes\/admin\.conf"\n.*\n.*drain w2 --ignore-daemonsets --delete-emptydir-data --timeout=300s/);
  // The staying haproxies drop m3 first (reloaded in place), so no request goes to it while it leaves.
  assert.deepEqual(p('remove-backends').steps.map((s) => s.host), ['m1', 'm2']);
  for (const s of p('remove-backends').steps) {
    assert.doesNotMatch(s.files.find((f) => f.path === '/etc/haproxy/haproxy.cfg')!.content, /server m3 /);
    assert.deepEqual(s.commands[0].argv.slice(2, 4), ['reload', 'haproxy']);
  }
  // The health gate on master0, then the member, one step after the other.
  assert.deepEqual(p('remove-members').steps.map((s) => `${s.host}:${s.id.split('/')[2]}`), ['m1:etcd-gate-m3', 'm1:etcd-member-m3']);
  assert.match(p('remove-members').steps[1].files[0].content, /NAME='m3'/);
  assert.deepEqual(p('remove-hosts').hosts, ['w2', 'm3']);
  // m3 loses haproxy, keepalived and the VIP while its kubelet still runs, then is reset; w2 never had them.
  assert.deepEqual(p('remove-hosts').steps.map((s) => `${s.host}:${s.id.split('/')[2]}`), ['w2:reset', 'm3:vip', 'm3:reset']);
  assert.match(p('remove-hosts').steps[2].files[0].content, /'kubeadm' 'reset' '-f'/);
  assert.deepEqual(p('forget-nodes').steps.map((s) => s.commands[0].argv.slice(-3)), [['node', 'w2', '--ignore-not-found'], ['node', 'm3', '--ignore-not-found']]);
  const names = plan.phases.map((x) => x.name);
  assert.ok(names.indexOf('remove-backends') < names.indexOf('remove-members'));
  assert.ok(names.indexOf('remove-members') < names.indexOf('remove-hosts') && names.indexOf('remove-hosts') < names.indexOf('lb'));
  assert.ok(!p('lb').steps.some((s) => s.host === 'm3'));
  assert.doesNotMatch(p('lb').steps[0].files[0].content, /server m3 /, 'the backends no longer list m3');
});

test('external etcd: no member to remove with a control plane, and etcd hosts are refused to change', () => {
  const lp = parseSpec(LP);
  const next = parseSpec(LP.split('\n').filter((l) => !l.includes('name: k5,')).join('\n'));
  const plan = buildApplyPlan(lp, next);
  assert.equal(plan.phases.find((p) => p.name === 'remove-members')!.skipped, true);
  assert.deepEqual(plan.phases.find((p) => p.name === 'remove-hosts')!.hosts, ['k5']);
});

test('reset plan: workers, then masters with master0 last, then LB and VIP, external etcd only when asked', () => {
  const r = buildResetPlan(vip(), false);
  assert.deepEqual(r.phases.map((p) => [p.name, p.skipped]), [['reset-workers', false], ['reset-masters', false], ['reset-lb', false], ['reset-etcd', true]]);
  assert.deepEqual(r.phases[1].hosts, ['m3', 'm2', 'm1']);
  const teardown = r.phases[2].steps[0].files[0].content;
  assert.match(teardown, /^IFACE='eth0'$/m);
  assert.match(teardown, /ip addr del "\$a" dev "\$IFACE"/);
  const lp = parseSpec(LP);
  assert.match(buildResetPlan(lp, false).phases[3].reason!, /kept \(pass --wipe-etcd/);
  const wiped = buildResetPlan(lp, true).phases[3];
  assert.equal(wiped.skipped, false);
  assert.match(wiped.steps[0].files[0].content, /systemctl disable --now 'etcd'/);
  assert.match(buildResetPlan(lp, false).phases[1].steps[0].files[0].content, /--skip-phases=remove-etcd-member/);
});

test('the health gate before a member goes: the new master0 ready, the staying members healthy enough for quorum (numbers shown)', () => {
  const c = vip();
  const [m1, , m3] = c.spec.hosts;
  const script = renderRemovalGateScript(c, m1, m3, { ca: '/ca', cert: '/c', key: '/k' });
  const dir = mkdtempSync(join(tmpdir(), 'gate-'));
  try {
    writeFileSync(join(dir, 'gate.sh'), script);
    // Stand-ins for curl and etcdctl: the answers a live cluster would give.
    const run = (readyz: string, members: string[], unhealthy: string[]) => {
      writeFileSync(join(dir, 'curl'), `#!/bin/sh\nprintf '%s' '${readyz}'\n`, { mode: 0o755 });
      const list = members.map((m, i) => `${i + 1}abc, started, ${m}, https://10.30.12.${203 + i}:2380, https://10.30.12.${203 + i}:2379, false`).join('\n');
      const health = members.map((m, i) => `https://10.30.12.${203 + i}:2379 is ${unhealthy.includes(m) ? 'unhealthy: failed' : 'healthy: successfully committed proposal'}`).join('\n');
      writeFileSync(join(dir, 'etcdctl'), `#!/bin/sh\ncase "$*" in *"member list"*) printf '%s\\n' '${list}' ;; *"endpoint health"*) printf '%s\\n' '${health}' ;; esac\n`, { mode: 0o755 });
      return spawnSync('sh', [join(dir, 'gate.sh')], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, encoding: 'utf8' });
    };
    const ok = run('ok', ['m1', 'm2', 'm3'], []);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /removing m3's member: 3 -> 2 members, 2 healthy, quorum 2 holds/);
    const sick = run('ok', ['m1', 'm2', 'm3'], ['m2']);
    assert.equal(sick.status, 1);
    assert.match(sick.stderr, /removing m3's member leaves 2 members of which 1 are healthy, fewer than the quorum of 2/);
    // The leaving member's own health does not count: four members, m3 leaving and unhealthy.
    assert.equal(run('ok', ['m1', 'm2', 'm3', 'm4'], ['m3']).status, 0);
    const down = run('', ['m1', 'm2', 'm3'], []);
    assert.equal(down.status, 1);
    assert.match(down.stderr, /m1's apiserver is not ready .*m3 may leave only while m1 is healthy/);
    const gone = run('ok', ['m1', 'm2'], []);
    assert.equal(gone.status, 0);
    assert.match(gone.stdout, /m3 has no etcd member \(2 members\): nothing to remove/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
