/**
 * `hakube plan` for both examples: the JSON contract scripts rely on (golden, plus the
 * properties that matter to an operator), the text view, and exit code 2 on a bad spec.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSpec } from '../../src/spec/parse';
import { bigSpecFile } from '../helpers/big-spec';
import { hostRanges } from '../../src/plan/groups';
import { buildPlan, compensationSteps, workerCompensationSteps, MASK, PHASES, RUNTIME_VALUES, type Plan } from '../../src/plan';

const update = process.env.HAKUBE_UPDATE_GOLDEN === '1';
const hakube = (...args: string[]) => spawnSync(process.execPath, ['bin/hakube.js', ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

function planJsonOf(example: string): Plan {
  const r = hakube('plan', '-f', `examples/${example}.yaml`, '--json');
  assert.equal(r.status, 0, r.stderr);
  const path = join('test/golden', example, 'plan.json');
  if (update) {
    mkdirSync(join('test/golden', example), { recursive: true });
    writeFileSync(path, r.stdout);
  }
  assert.ok(existsSync(path), `missing ${path}`);
  assert.equal(r.stdout, readFileSync(path, 'utf8'), `${path} differs from plan --json`);
  return JSON.parse(r.stdout) as Plan;
}

function commonInvariants(plan: Plan): void {
  assert.deepEqual(plan.phases.map((p) => p.name), [...PHASES]);
  const ids = plan.phases.flatMap((p) => p.steps.map((s) => s.id));
  assert.equal(new Set(ids).size, ids.length, 'step ids are unique');
  for (const p of plan.phases) {
    if (p.skipped) {
      assert.ok(p.reason && p.reason.length > 10, `${p.name} says why it is skipped`);
      assert.equal(p.steps.length, 0);
    }
    for (const s of p.steps) {
      assert.equal(s.id, `${p.name}/${s.host}/${s.id.split('/')[2]}`);
      assert.ok(p.hosts.includes(s.host), `${s.id}: host is listed in the phase`);
      for (const c of [...s.commands, ...(s.check ? [s.check] : [])]) {
        assert.ok(c.argv.length > 0 && c.argv.every((w) => typeof w === 'string' && w.length > 0), `${s.id}: argv words`);
        for (const m of c.argv.join(' ').matchAll(/\{\{(\w+)\}\}/g)) assert.ok((RUNTIME_VALUES as readonly string[]).includes(m[1]), `${s.id}: unknown runtime value ${m[1]}`);
      }
      for (const f of s.files) {
        assert.match(f.mode, /^0[0-7]{3}$/);
        if (f.secret) assert.ok(f.content === '' || f.content === MASK, `${s.id}: ${f.path} secret content is masked`);
      }
    }
  }
  // Every kubeadm init/join is guarded so a retry never runs it twice: its check asks the
  // cluster (a script, not `test -f`), and a join first refuses to run over a half-done one.
  const kubeadmSteps = plan.phases.flatMap((p) => p.steps).filter((s) => /\/(kubeadm-init|kubeadm-join)$/.test(s.id));
  assert.ok(kubeadmSteps.length > 0);
  for (const s of kubeadmSteps) {
    assert.ok(s.check, `${s.id} has a check`);
    assert.match(s.check.argv.join(' '), /^sh \/etc\/hakube\/bin\/(init-done|join-done)\.sh$/);
    if (s.id.endsWith('/kubeadm-join')) {
      assert.match(s.commands[0].argv.join(' '), /join-guard\.sh$/);
      assert.deepEqual(s.commands[1].argv.slice(0, 2), ['kubeadm', 'join']);
    } else {
      const script = s.files.find((f) => f.path.endsWith('/kubeadm-init.sh'))!.content;
      assert.equal(script.match(/^\s*exec kubeadm init /gm)?.length, 1, 'one kubeadm init, on an untouched host only');
      assert.match(script, /kubeadm init phase bootstrap-token --config/);
    }
  }
}

test('plan --json, the VIP example: VIP, stacked etcd', () => {
  const plan = planJsonOf('ha-vip');
  commonInvariants(plan);
  assert.equal(plan.cluster, 'ha-vip');
  assert.equal(plan.master0, 'm1');
  const phase = (n: string) => plan.phases.find((p) => p.name === n)!;
  assert.equal(phase('etcd').skipped, true);
  assert.match(phase('etcd').reason!, /stacked/);
  assert.deepEqual(phase('lb').hosts, ['m1', 'm2', 'm3']);
  const jm = phase('join-masters');
  assert.equal(jm.concurrency, 1);
  assert.deepEqual(jm.hosts, ['m2', 'm3']);
  const joins = jm.steps.filter((s) => s.id.endsWith('/kubeadm-join'));
  assert.match(joins[0].title, /master 2 of 3, one at a time, quorum 2\/2 after/);
  assert.match(joins[1].title, /master 3 of 3, one at a time, quorum 2\/3 after/);
  // Secrets never on argv: the join reads them from a 0600 file filled on the worker.
  const argv = joins[0].commands[1].argv;
  assert.deepEqual(argv, ['kubeadm', 'join', '--config', '/etc/hakube/kubeadm-join.yaml', '--ignore-preflight-errors=DirAvailable--etc-kubernetes-manifests']);
  assert.equal(joins[0].commands[1].long, true);
  const conf = joins[0].files.find((f) => f.path === '/etc/hakube/kubeadm-join.yaml')!;
  assert.deepEqual([conf.mode, conf.runtime], ['0600', true]);
  for (const line of ['apiServerEndpoint: 10.30.12.249:8443', 'token: "{{joinToken}}"', '- "{{caCertHash}}"', 'certificateKey: "{{certificateKey}}"', 'advertiseAddress: 10.30.12.204', 'bindPort: 6443', 'name: m2']) {
    assert.ok(conf.content.includes(line), `${line} in\n${conf.content}`);
  }
  const jw = phase('join-workers');
  assert.equal(jw.concurrency, 2);
  assert.match(jw.steps[0].title, /up to 2 at a time/);
  const workerConf = jw.steps[0].files.find((f) => f.path === '/etc/hakube/kubeadm-join.yaml')!;
  assert.ok(workerConf.runtime && !/^controlPlane:/m.test(workerConf.content) && !workerConf.content.includes('certificateKey'));
  // Every step has a timeout; kubeadm's are kubeadm's own waits plus a margin.
  const all = plan.phases.flatMap((p) => p.steps);
  assert.ok(all.every((s) => typeof s.timeoutSeconds === 'number' && s.timeoutSeconds > 0));
  assert.ok(joins[0].timeoutSeconds! > jw.steps[0].timeoutSeconds! && jw.steps[0].timeoutSeconds! > 300);
  assert.ok(phase('verify').steps.some((s) => s.id === 'verify/m1/vip-failover'));
  assert.ok(!phase('verify').steps.some((s) => s.id.endsWith('/test-workload')));
});

test('plan --json, the local-proxy example: external etcd, nginx on every node', () => {
  const plan = planJsonOf('ha-local-proxy');
  commonInvariants(plan);
  const phase = (n: string) => plan.phases.find((p) => p.name === n)!;
  const etcd = phase('etcd');
  assert.equal(etcd.skipped, false);
  assert.equal(etcd.concurrency, 1);
  // Executors run a phase host by host: health must come on the last member, after every start.
  assert.deepEqual(etcd.steps.map((s) => s.id), ['etcd/k1/pki', 'etcd/k1/member', 'etcd/k2/member', 'etcd/k3/member', 'etcd/k3/health']);
  assert.deepEqual(etcd.hosts, ['k1', 'k2', 'k3']);
  const k2 = etcd.steps[2];
  const key = k2.files.find((f) => f.path === '/etc/etcd/pki/server.key')!;
  assert.deepEqual(key.from, { host: 'k1', path: '/etc/etcd/pki/members/k2/server.key' });
  assert.equal(key.secret, true);
  assert.equal(key.mode, '0600');
  assert.deepEqual(phase('lb').hosts, ['k1', 'k2', 'k3', 'k4', 'k5']);
  const jm = phase('join-masters');
  assert.match(jm.steps[0].title, /master 2 of 3.*external etcd quorum 2\/3 unaffected/);
  assert.ok(jm.steps.some((s) => s.id === 'join-masters/k2/untaint'));
  const argv = jm.steps[0].commands[1].argv;
  assert.deepEqual(argv, ['kubeadm', 'join', '--config', '/etc/hakube/kubeadm-join.yaml', '--ignore-preflight-errors=Swap']);
  const conf = jm.steps[0].files.find((f) => f.runtime)!.content;
  assert.match(conf, /apiServerEndpoint: 127\.0\.0\.1:6443/);
  assert.match(conf, /bindPort: 5443/);
  const initScript = phase('init').steps[0].files.find((f) => f.path.endsWith('/kubeadm-init.sh'))!.content;
  assert.match(initScript, /^\s*exec kubeadm init --config \/etc\/hakube\/kubeadm\.yaml --upload-certs --ignore-preflight-errors=Swap$/m);
  assert.doesNotMatch(initScript, /phase etcd local/, 'external etcd: kubeadm runs no local member');
  assert.ok(phase('verify').steps.some((s) => s.id === 'verify/k1/test-workload'));
  assert.ok(phase('cleanup').steps.some((s) => s.id === 'cleanup/k1/etcd-member-keys'));
  assert.ok(!phase('prep').steps.some((s) => s.id.endsWith('/swap')), 'swap: allow keeps swap on');
});

test('plan text: phases in order, skip reasons, positions, masked secrets', () => {
  for (const view of [[], ['--hosts']]) {
    const r = hakube('plan', '-f', 'examples/ha-local-proxy.yaml', ...view);
    assert.equal(r.status, 0, r.stderr);
    const order = PHASES.map((p) => r.stdout.indexOf(`. ${p}:`));
    assert.ok(order.every((i, n) => i >= 0 && (n === 0 || i > order[n - 1])), 'all eight phases, in order');
    assert.match(r.stdout, /copy {2}\/etc\/etcd\/pki\/server\.key \(0600\) from k1:\/etc\/etcd\/pki\/members\/k2\/server\.key \[secret\]/);
  }
  assert.match(hakube('plan', '-f', 'examples/ha-local-proxy.yaml', '--hosts').stdout, /master 3 of 3, one at a time/);
  // Grouped, a host's own address is {address} too: k2 and k3 run one join shown once.
  const grouped = hakube('plan', '-f', 'examples/ha-local-proxy.yaml').stdout;
  assert.match(grouped, /^ {3}k2, k3 \(2 hosts; \{host\}, \{address\}, \{n\}: each one's own\)\n {5}kubeadm join --control-plane \(master \{n\} of 3,/m);
  assert.match(grouped, /run {3}kubeadm join --config \/etc\/hakube\/kubeadm-join\.yaml --ignore-preflight-errors=Swap {3}\[long\]\n/);
  assert.match(grouped, /taint node \{host\} node-role\.kubernetes\.io\/control-plane:NoSchedule-/);
  const v = hakube('plan', '-f', 'examples/ha-vip.yaml');
  assert.match(v.stdout, /2\. etcd: skipped, etcd is stacked/);
  assert.match(v.stdout, /join-workers: w1, w2 \(up to 2 at a time/);
});

test('plan text for 3 masters + 100 workers: hosts with the same steps shown once; --hosts lists each; --json unchanged', () => {
  const file = bigSpecFile(100);
  const grouped = hakube('plan', '-f', file);
  assert.equal(grouped.status, 0, grouped.stderr);
  const g = grouped.stdout;
  assert.match(g, /^1\. prep: m1-m3, w1-w100 \(up to 10 at a time, 618 steps\)\n {3}runs as an activity per host; secrets: none\n {3}m1-m3, w1-w100 \(103 hosts\)\n {5}install missing packages/m);
  assert.match(g, /^6\. join-workers: w1-w100 \(up to 10 at a time, 100 steps\)\n {3}runs [^\n]*\n {3}w1-w100 \(100 hosts; \{host\}, \{n\}: each one's own\)\n {5}kubeadm join \(worker \{n\} of 100, up to 10 at a time\)\n/m);
  assert.match(g, /^ {3}w1-w100 .*\n.*\n(?: {7}write .*\n)* {7}write \/etc\/hakube\/kubeadm-join\.yaml \(0600, \d+ lines\)\n {7}skip if: .*\n {7}run {3}sh .*join-guard\.sh\n {7}run {3}kubeadm join --config \/etc\/hakube\/kubeadm-join\.yaml {3}\[long\]\n/m);
  // What really differs per host stays apart: keepalived priorities, and m1 runs the cluster-wide checks.
  assert.match(g, /^3\. lb: m1-m3 .*\n {3}runs .*\n {3}m1\n.*priority 100/m);
  assert.match(g, /^ {3}m2, m3, w1-w100 \(102 hosts\)$/m);
  assert.equal((g.match(/run {3}kubeadm join --config/g) ?? []).length, 3, 'one worker join line, two master joins');
  assert.ok(g.split('\n').length < 150, `grouped plan is short (${g.split('\n').length} lines)`);

  const each = hakube('plan', '-f', file, '--hosts');
  assert.equal(each.status, 0, each.stderr);
  for (const w of ['w1', 'w57', 'w100']) assert.match(each.stdout, new RegExp(`^ {3}${w} +kubeadm join \\(worker ${w.slice(1)} of 100.*\\n(?:.*\\n){5}.*kubeadm join --config \\/etc\\/hakube\\/kubeadm-join\\.yaml {3}\\[long\\]$`, 'm'));
  assert.ok(each.stdout.split('\n').length > 2000);

  const json = hakube('plan', '-f', file, '--json');
  assert.equal(json.status, 0, json.stderr);
  const plan = JSON.parse(json.stdout) as Plan;
  const jw = plan.phases.find((p) => p.name === 'join-workers')!;
  assert.equal(jw.steps.length, 100);
  assert.match(jw.steps[41].files.find((f) => f.path === '/etc/hakube/kubeadm-join.yaml')!.content, /^ {2}name: w42$/m);
  assert.ok(!json.stdout.includes('{host}') && !json.stdout.includes('{n}'), '--json has no display placeholders');
});

test('host ranges fold runs of three or more consecutive numbers only', () => {
  assert.equal(hostRanges(['w1', 'w2']), 'w1, w2');
  assert.equal(hostRanges(['m1', 'm2', 'm3', 'w1', 'w2', 'w3', 'w4']), 'm1-m3, w1-w4');
  assert.equal(hostRanges(['k1', 'k2', 'k4', 'k5', 'k6', 'lb', 'x9', 'x10', 'x11']), 'k1, k2, k4-k6, lb, x9-x11');
  assert.equal(hostRanges(['a1', 'b2', 'c3']), 'a1, b2, c3');
});

test('plan --json survives a slow pipe (no truncation at the pipe buffer size)', () => {
  const r = spawnSync('sh', ['-c', 'node bin/hakube.js plan -f examples/ha-local-proxy.yaml --json | (sleep 1; wc -c)'], { encoding: 'utf8' });
  assert.equal(Number(r.stdout.trim()), readFileSync('test/golden/ha-local-proxy/plan.json').length);
});

test('plan masks secret file contents', () => {
  const plan = buildPlan(parseSpec(readFileSync('examples/ha-vip.yaml', 'utf8')));
  plan.phases[0].steps[0].files.push({ path: '/etc/x/token', mode: '0600', content: 'abcdef.0123456789abcdef', secret: true });
  const { planJson, planText } = require('../../src/plan') as typeof import('../../src/plan');
  assert.ok(!planJson(plan).includes('0123456789abcdef'));
  assert.ok(!planText(plan, { content: true }).includes('0123456789abcdef'));
  assert.ok(planJson(plan).includes(MASK));
});

test('hakube plan exits 2 with one line per problem on a bad spec, and on a missing file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hakube-plan-'));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, readFileSync('examples/ha-vip.yaml', 'utf8').replace('name: m2,', 'name: HCITos_cvm,').replace('name: w2,', 'name: w2, extra: 1,'));
  const r = hakube('plan', '-f', bad);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /spec\.hosts\[1\]\.name: "HCITos_cvm" is not a DNS-1123 label/);
  assert.match(r.stderr, /\n {2}spec\.hosts\[4\]\.extra: is not a known key/);
  assert.match(r.stderr, /\(2 problems\)/);
  const missing = hakube('plan', '-f', join(dir, 'nope.yaml'));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no such file/);
});

test('compensation for a failed master join: that node, master0 bookkeeping, LB backends without it', () => {
  const vip = parseSpec(readFileSync('examples/ha-vip.yaml', 'utf8'));
  const steps = compensationSteps(vip, 'm2');
  // The etcd member goes before the reset wipes its data (a listed member without data costs quorum).
  assert.deepEqual(steps.map((s) => s.id), [
    'join-masters/m1/compensate-etcd-m2',
    'join-masters/m2/compensate-reset',
    'join-masters/m1/compensate-node-m2',
    'join-masters/m1/compensate-lb-m2',
    'join-masters/m3/compensate-lb-m2',
  ]);
  assert.deepEqual(steps[1].commands[0].argv, ['kubeadm', 'reset', '-f']);
  const reset = steps[1].files[0].content;
  assert.match(reset, /\/var\/lib\/etcd/);
  assert.match(reset, /\/etc\/kubernetes\/pki/);
  assert.ok(!steps.some((s) => s.host === 'm1' && s.commands.some((c) => c.argv.join(' ').includes('kubeadm reset'))), 'master0 is never reset');
  const cfg = steps[3].files.find((f) => f.path === '/etc/haproxy/haproxy.cfg')!.content;
  assert.ok(!cfg.includes('10.30.12.204'));
  assert.throws(() => compensationSteps(vip, 'm1'), /master0/);
  assert.throws(() => compensationSteps(vip, 'w1'), /not a control plane/);

  const lp = parseSpec(readFileSync('examples/ha-local-proxy.yaml', 'utf8'));
  const lps = compensationSteps(lp, 'k3');
  assert.ok(!lps.some((s) => s.id.includes('compensate-etcd')), 'external etcd members are not touched');
  assert.doesNotMatch(lps[0].files[0].content, /\/var\/lib\/etcd/, 'an external member keeps its data');
  assert.deepEqual(lps[0].commands[0].argv, ['kubeadm', 'reset', '-f', '--skip-phases=remove-etcd-member'], "kubeadm's reset must not clean an external member's data dir");
  assert.deepEqual(lps.filter((s) => s.id.includes('compensate-lb')).map((s) => s.host), ['k1', 'k2', 'k4', 'k5']);

  const w = workerCompensationSteps(vip, 'w1');
  assert.deepEqual(w.map((s) => s.id), ['join-workers/w1/compensate-reset', 'join-workers/m1/compensate-node-w1']);
});

test('the planner imports no Node built-ins and never the file loader (workflow code imports it)', () => {
  const { builtinModules } = require('node:module') as typeof import('node:module');
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)) {
      const spec = m[1];
      assert.ok(!builtins.has(spec), `${file} imports ${spec}`);
      if (!spec.startsWith('.')) continue;
      const target = join(file, '..', spec);
      const resolved = [`${target}.ts`, join(target, 'index.ts')].find((p) => existsSync(p));
      assert.ok(resolved, `${file}: cannot resolve ${spec}`);
      assert.ok(!resolved.endsWith('spec/load.ts'), `${file} imports the file loader`);
      visit(resolved);
    }
  };
  visit('src/plan/index.ts');
  assert.ok(seen.size > 15, `walked ${seen.size} modules`);
});

test('no command line grows with the host count: the verify node list travels as a file', async () => {
  const { fakeSpec } = await import('../helpers/fake-deploy');
  const longest = (workers: number) => {
    const plan = buildPlan(fakeSpec(workers, 'big', { privateKeyPath: '/k', knownHostsPath: '/kh' }));
    let max = 0;
    for (const p of plan.phases) for (const s of p.steps) for (const c of [...s.commands, ...(s.check ? [s.check] : [])]) max = Math.max(max, Buffer.byteLength(c.argv.join(' ')));
    return { max, plan };
  };
  const small = longest(7);
  const big = longest(4997);
  // SSH need only carry 35,000-byte packets (RFC 4253); 5,000 node names once went into one argv.
  assert.equal(big.max, small.max, `longest command: ${small.max} B at 10 hosts, ${big.max} B at 5,000`);
  const nodesReady = big.plan.phases.find((p) => p.name === 'verify')!.steps.find((s) => s.id.endsWith('/nodes-ready'))!;
  const list = JSON.parse(nodesReady.files[0].content) as { kind: string; items: Array<{ kind: string; metadata: { name: string } }> };
  assert.equal(list.kind, 'List');
  assert.equal(list.items.length, 5000);
  assert.deepEqual(list.items.slice(0, 4).map((i) => `${i.kind}/${i.metadata.name}`), ['Node/m1', 'Node/m2', 'Node/m3', 'Node/w1']);
  assert.ok(nodesReady.commands[0].argv.includes(nodesReady.files[0].path), 'kubectl wait reads the list');
});
