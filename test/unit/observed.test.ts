/**
 * apply against the live cluster, pure: the readers of kubectl's and etcdctl's answers and of
 * the proxies' own configs, and the comparison of what the cluster has with the last applied
 * spec and the new one (hosts missing on either side, a removal the live members cannot
 * afford, backend lists that differ).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseSpec } from '../../src/spec/parse';
import { diffAgainstCluster, driftText, parseMembers, parseNodes, type ObservedCluster } from '../../src/plan/observed';
import { LB_DRIVERS } from '../../src/drivers/lb';
import { renderHaproxyCfg } from '../../src/render/haproxy';
import { renderNginxConf } from '../../src/render/nginx';

const VIP = readFileSync('examples/ha-vip.yaml', 'utf8');
const LP = readFileSync('examples/ha-local-proxy.yaml', 'utf8');
const drop = (...names: string[]) => (t: string) => t.split('\n').filter((l) => !names.some((n) => l.includes(`name: ${n},`))).join('\n');
const vip = (edit: (t: string) => string = (t) => t) => parseSpec(edit(VIP));

const MEMBERS = `8e9e05c52164694d, started, m1, https://10.30.12.203:2380, https://10.30.12.203:2379, false
2b5f1ac0ac3a4d61, started, m2, https://10.30.12.204:2380, https://10.30.12.204:2379, false
91bc3c398fb3c146, started, m3, https://10.30.12.205:2380, https://10.30.12.205:2379, false
`;
const allBackends = ['10.30.12.203:6443', '10.30.12.204:6443', '10.30.12.205:6443'];

function observed(over: Partial<ObservedCluster> = {}): ObservedCluster {
  return {
    from: 'm1',
    nodes: parseNodes('m1=True m2=True m3=True w1=True w2=True '),
    members: parseMembers(MEMBERS),
    backends: { m1: allBackends, m2: allBackends, m3: allBackends },
    errors: [],
    ...over,
  };
}

test('readers: kubectl jsonpath nodes, etcdctl member list, haproxy and nginx backend lists', () => {
  assert.deepEqual(parseNodes('m1=True w1=False w2= '), [
    { name: 'm1', ready: true },
    { name: 'w1', ready: false },
    { name: 'w2', ready: false },
  ]);
  assert.deepEqual(parseMembers(`${MEMBERS}abc, unstarted, , https://10.30.12.206:2380, , true\n`).map((m) => [m.name, m.learner]), [['m1', false], ['m2', false], ['m3', false], ['', true]]);
  const v = vip();
  assert.deepEqual(LB_DRIVERS.vip.backendList!.parse(renderHaproxyCfg(v)), allBackends);
  assert.deepEqual(LB_DRIVERS.vip.backendList!.parse(renderHaproxyCfg(v, 'm2')), ['10.30.12.203:6443', '10.30.12.205:6443']);
  const lp = parseSpec(LP);
  assert.deepEqual(LB_DRIVERS['local-proxy'].backendList!.parse(renderNginxConf(lp)), ['172.16.10.21:5443', '172.16.10.22:5443', '172.16.10.23:5443']);
  assert.equal(LB_DRIVERS.external.backendList, undefined);
});

test('a cluster as the spec says: nothing to report', () => {
  const d = diffAgainstCluster(vip(), vip(), observed());
  assert.deepEqual(d, { lines: [], refused: [] });
  assert.match(driftText(observed(), d), /^the cluster as it is \(read through m1\):\n {2}as the last applied spec says\n$/);
});

test('hosts on one side only: a deployed host without its Node is joined again, a Node no spec lists is left alone, a leaving host already gone is only reset', () => {
  const o = observed({ nodes: parseNodes('m1=True m2=True m3=True w1=False w9=True ') });
  const d = diffAgainstCluster(vip(), vip(drop('w1')), o);
  assert.deepEqual(d.refused, []);
  assert.ok(d.lines.includes('w2: in the spec, no Node in the cluster (it was deployed: reset or deleted by hand?): apply joins it'), d.lines.join('\n'));
  assert.ok(d.lines.includes('w9: a Node no spec lists (joined by hand?): apply leaves it alone; add it to the spec to manage it'));
  assert.ok(!d.lines.some((l) => l.startsWith('w1: leaves')), 'w1 still has its Node: it is drained and deleted');
  const gone = diffAgainstCluster(vip(), vip(drop('w2')), observed({ nodes: parseNodes('m1=True m2=True m3=True w1=True ') }));
  assert.ok(gone.lines.includes('w2: leaves, but has no Node any more: nothing to drain or delete, the host is still reset'));
});

test('live quorum arithmetic: the spec allows removing one of three, but a member already lost makes it refused with the numbers', () => {
  const twoLeft = observed({ members: parseMembers(MEMBERS.split('\n').filter((l) => !l.includes(' m2,')).join('\n')) });
  const d = diffAgainstCluster(vip(), vip(drop('m3')), twoLeft);
  assert.ok(d.lines.includes('m2: control plane without an etcd member'));
  assert.deepEqual(d.refused, ["removing m3 leaves 1 of the cluster's 2 live etcd members, fewer than the quorum of 2 they need: remove at most 0 per apply"]);
  assert.deepEqual(diffAgainstCluster(vip(), vip(drop('m3')), observed()).refused, [], '3 live members can lose one');
  const stray = observed({ members: parseMembers(`${MEMBERS}77aa, started, old9, https://10.30.12.230:2380, https://10.30.12.230:2379, true\n`) });
  const lines = diffAgainstCluster(vip(), vip(), stray).lines;
  assert.ok(lines.includes('etcd member old9 belongs to no control plane of the spec'));
  assert.ok(lines.includes('etcd member old9 is still a learner'));
});

test('backend lists that differ from the new spec are shown per host; unreadable ones say why', () => {
  // Read in any order, reported in the holders' order.
  const o = observed({ backends: { m3: { error: 'cat: /etc/haproxy/haproxy.cfg: No such file or directory' }, m1: allBackends, m2: ['10.30.12.203:6443'] } });
  const d = diffAgainstCluster(vip(), vip(), o);
  assert.deepEqual(d.lines, [
    `m2: haproxy backends 10.30.12.203:6443 -> ${allBackends.join(' ')} (reloaded in place)`,
    'm3: haproxy backends unreadable (cat: /etc/haproxy/haproxy.cfg: No such file or directory)',
  ]);
  // Removing m3: the staying holders' lists lose it; m3's own list is not reported (it leaves).
  const r = diffAgainstCluster(vip(), vip(drop('m3')), observed());
  assert.deepEqual(r.lines.filter((l) => l.includes('backends')), [
    `m1: haproxy backends ${allBackends.join(' ')} -> 10.30.12.203:6443 10.30.12.204:6443 (reloaded in place)`,
    `m2: haproxy backends ${allBackends.join(' ')} -> 10.30.12.203:6443 10.30.12.204:6443 (reloaded in place)`,
  ]);
  assert.match(driftText({ ...observed(), nodes: undefined }, { lines: [], refused: ['x'] }), /no control plane answered[\s\S]*refused: x/);
});
