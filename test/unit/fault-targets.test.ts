/**
 * The fault matrix's aim, before any lab host is up. A command fault is armed before the run
 * and fires wherever its command first runs on the target host, so a target whose command the
 * plan also runs there in another phase puts the fault in the wrong cell (k1's etcdctl did: it
 * runs only in verify there). And the harness's own judge of the hosts' logs must refuse a fault
 * that fired outside its phase, or never.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadSpec } from '../../src/spec/load';
import { buildPlan } from '../../src/plan/build';
import { EXAMPLES, TARGETS } from '../faults/targets';
import { judgeFired, phaseAt, type PhaseWindow } from '../faults/evidence';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

for (const example of EXAMPLES) {
  test(`${example}: no target's command appears on its host in another phase of the plan`, () => {
    const plan = buildPlan(loadSpec(path.join(__dirname, `../../examples/${example}.yaml`)));
    for (const [phase, t] of Object.entries(TARGETS[example])) {
      const own = plan.phases.find((p) => p.name === phase);
      assert.ok(own && !own.skipped, `${example} ${phase}: a target for a phase the plan skips`);
      assert.ok(own.steps.some((s) => s.host === t.host), `${example} ${phase}: ${t.host} has no step in ${phase}`);
      // As a word sequence of a command line or of a script the host is given.
      const re = new RegExp(`(^|[\\s;|&(\`'"])${t.match.map(escape).join('\\s+')}($|[\\s;|&)'"])`, 'm');
      for (const p of plan.phases.filter((x) => x.name !== phase && !x.skipped)) {
        for (const s of p.steps.filter((x) => x.host === t.host)) {
          const texts = [...s.commands, ...(s.check ? [s.check] : [])].map((c) => c.argv.join(' ')).concat(s.files.map((f) => f.content ?? ''));
          const hit = texts.find((x) => re.test(x));
          assert.equal(hit, undefined, `${example} ${phase}: "${t.match.join(' ')}" on ${t.host} also appears in ${p.name} (${s.id}), where its fault would fire`);
        }
      }
    }
  });
}

const at = (hms: string) => Date.parse(`2026-12-02T${hms}Z`);
const phases: PhaseWindow[] = [
  { name: 'prep', startedAt: at('04:00:00.200'), endedAt: at('04:00:20.400') },
  { name: 'etcd', startedAt: at('04:00:20.600'), endedAt: at('04:00:31.000') },
  { name: 'verify', startedAt: at('04:03:00.000') },
];
const entry = (hms: string, action: 'run' | 'fail' | 'hang' = 'fail') => ({ at: at(hms), action, line: 'systemctl restart etcd' });

test('a log line counts for the phase whose window holds its second; the second two phases share names the earlier', () => {
  assert.equal(phaseAt(phases, at('04:00:00')), 'prep');
  assert.equal(phaseAt(phases, at('04:00:20')), 'prep');
  assert.equal(phaseAt(phases, at('04:00:25')), 'etcd');
  assert.equal(phaseAt(phases, at('04:01:00')), undefined);
  assert.equal(phaseAt(phases, at('04:05:00'), at('04:06:00')), 'verify');
});

test('a fault that fired in its phase is shown by its log line; elsewhere or never, the cell has nothing to show', () => {
  const ok = judgeFired('k1', 'etcd', phases, entry('04:00:25'));
  assert.ok(ok && !ok.wrongPhase);
  assert.match(ok.evidence, /^k1 04:00:25 fail: systemctl restart etcd \(etcd ran 04:00:20-04:00:31\)$/);
  // The second etcd started in is its own, though prep ended in it too.
  assert.ok(!judgeFired('k1', 'etcd', phases, entry('04:00:20'))?.wrongPhase);
  const late = judgeFired('k1', 'etcd', phases, entry('04:05:00'), undefined, at('04:06:00'));
  assert.match(late?.wrongPhase ?? '', /^the fault fired in verify, not in etcd: k1 04:05:00 fail/);
  // One mark of several outside the phase is enough to refuse the cell.
  const marks = [entry('04:00:25'), entry('04:01:00')];
  assert.match(judgeFired('k1', 'etcd', phases, marks[0], marks)?.wrongPhase ?? '', /fired in no phase, not in etcd: k1 04:01:00/);
  assert.equal(judgeFired('k1', 'etcd', phases, undefined), undefined);
  assert.match(judgeFired('k1', 'lb', phases, entry('04:00:25'))?.wrongPhase ?? '', /fired in etcd, not in lb.*\(lb never started\)/);
});
