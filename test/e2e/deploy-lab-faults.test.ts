/**
 * The fault matrix's subset for `npm test` (the full matrix is `npm run test:faults`, the same
 * harness): one deploy per example with one fault in each phase, together covering every phase
 * and all six faults (worker SIGKILL mid-step, dev server restart, SSH cut, a failure once, a
 * failure until cleared and retried, a hang). Each cell must end in the verified cluster (by
 * itself, after one retry, or compensated and verified after the retry), and the hosts' own
 * records must show init once on master0, master0 never reset, every Node and etcd member once,
 * no two copies of a kubeadm command at once, every planned file intact and no token left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFaultDeploy, renderMatrix } from '../faults/harness';
import { EXAMPLES, FAULTS, PHASES, SUBSET } from '../faults/targets';

test('the subset covers every phase and every fault at least once over the two examples', () => {
  const all = EXAMPLES.flatMap((e) => SUBSET[e]);
  for (const p of PHASES) assert.ok(all.some((i) => i.phase === p), `phase ${p} uncovered`);
  for (const f of FAULTS) assert.ok(all.some((i) => i.fault === f), `fault ${f} uncovered`);
});

for (const example of EXAMPLES) {
  test(`${example}: a deploy with a fault in every phase ends verified, and the hosts show nothing done twice`, async () => {
    const run = await runFaultDeploy(example, SUBSET[example]);
    console.log(renderMatrix([run], `fault subset, ${example}`));
    for (const line of run.checked) console.log(`checked: ${line}`);
    assert.equal(run.state, 'done');
    assert.deepEqual(run.violations, []);
    for (const c of run.cells) console.log(`cell ${c.phase} x ${c.fault}: ${c.outcome}; fired: ${c.fired ?? '-'}`);
    for (const c of run.cells) assert.match(c.outcome, /^(auto|retry|compensated, retry|n\/a: .*)$/, `${c.phase} x ${c.fault}: ${c.outcome} ${c.note ?? ''}`);
    // A cell whose fault fired in another phase, or not at all, asserted nothing.
    for (const c of run.cells.filter((x) => !x.outcome.startsWith('n/a'))) assert.ok(c.fired, `${c.phase} x ${c.fault}: no record that the fault fired in ${c.phase}`);
    // The run's own shape: a fault that must stop for the operator did, the others healed alone.
    for (const c of run.cells.filter((x) => x.fault === 'fail-always')) assert.match(c.outcome, /retry/, `${c.phase}: fail-always waits for the operator`);
  });
}
