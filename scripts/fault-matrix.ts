/**
 * `npm run test:faults`: the full fault matrix, both examples x 8 phases x 6 faults. Each
 * (example, fault) is one deploy with that fault injected into each of its phases in turn (the
 * harness of test/faults/harness.ts, which `npm test`'s subset also runs). Every deploy runs in a
 * child process under the machine-wide lab lock, released between deploys so other lab tests
 * get in. Prints the matrix and writes docs/fault-matrix.md; exits 1 when a cell failed or an
 * invariant broke.
 *   npm run test:faults [-- --example ha-vip] [-- --fault hang]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { renderMatrix, runFaultDeploy, type FaultRun } from '../test/faults/harness';
import { EXAMPLES, FAULT_TITLES, FAULTS, PHASES, type Example, type Fault } from '../test/faults/targets';

const ROOT = path.join(__dirname, '..');
const { values } = parseArgs({
  options: { example: { type: 'string', multiple: true }, fault: { type: 'string', multiple: true }, one: { type: 'string' }, out: { type: 'string' } },
});

async function one(example: Example, fault: Fault, out: string): Promise<void> {
  let run: FaultRun;
  try {
    run = await runFaultDeploy(example, PHASES.map((phase) => ({ phase, fault })));
  } catch (err) {
    const why = (err as Error).message.split('\n')[0].slice(0, 160);
    run = { example, cells: PHASES.map((phase) => ({ example, phase, fault, outcome: `FAILED: ${why}` })), seconds: 0, deploySeconds: 0, state: 'harness error', violations: [why], checked: [] };
  }
  writeFileSync(out, JSON.stringify(run));
}

async function main(): Promise<void> {
  if (values.one) {
    const [example, fault] = values.one.split(':') as [Example, Fault];
    return one(example, fault, values.out!);
  }
  const examples = (values.example ?? EXAMPLES) as Example[];
  const faults = (values.fault ?? FAULTS) as Fault[];
  const runs: FaultRun[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'hakube-matrix-'));
  const t0 = Date.now();
  const total = examples.length * faults.length;
  // Written after every deploy: a run cut short still leaves what it measured, marked partial.
  const write = (): string => {
    const minutes = Math.round((Date.now() - t0) / 60000);
    const full = runs.length === EXAMPLES.length * FAULTS.length;
    const header = [
      '# Fault matrix',
      '',
      `The last ${full ? 'full' : `**partial** (${runs.length} of ${total} deploys asked for, ${EXAMPLES.length * FAULTS.length} in the full matrix)`} run of \`npm run test:faults\` (${new Date().toISOString().slice(0, 16)} UTC, ${minutes} min on this project's 2-core lab machine, waits for the shared lab lock included).`,
      'Each cell: how the run ended for that fault in that phase (`auto`: healed without the operator; `retry`: waited, the fault was',
      "cleared and one `hakube retry` finished it; `compensated, retry`: the join was undone first) and the phase's seconds.",
      'Each (example, fault) column is one deploy with the fault injected into each phase in turn; step timeouts capped at 45 s',
      "(HAKUBE_STEP_TIMEOUT_MAX_SECONDS) so a hang costs under a minute. After each deploy the hosts' own records are checked:",
      'kubeadm init once on master0, master0 never reset, every Node and etcd member once, no two copies of a kubeadm command at',
      "once, every planned file with the plan's sha256, no bootstrap token left, keepalived's manifest in place. A cell whose",
      "fault the host's command log shows in another phase, or nowhere, is FAILED: it would have asserted nothing.",
      '',
      'Faults: ' + FAULTS.map((f) => `\`${f}\` ${FAULT_TITLES[f]}`).join('; ') + '.',
    ].join('\n');
    const md = renderMatrix(runs, header);
    writeFileSync(path.join(ROOT, 'docs/fault-matrix.md'), md + '\n');
    return md;
  };
  // Fault by fault, both examples each: a run cut short still shows each fault it reached on both.
  for (const fault of faults) {
    for (const example of examples) {
      const out = path.join(dir, `${example}-${fault}.json`);
      process.stderr.write(`== ${example} x ${fault}\n`);
      const r = spawnSync('flock', ['/tmp/hakube-e2e.lock', process.execPath, '--import', 'tsx', __filename, '--one', `${example}:${fault}`, '--out', out], { cwd: ROOT, stdio: 'inherit' });
      try {
        runs.push(JSON.parse(readFileSync(out, 'utf8')) as FaultRun);
      } catch {
        runs.push({ example, cells: PHASES.map((phase) => ({ example, phase, fault, outcome: `FAILED: the deploy crashed (exit ${r.status})` })), seconds: 0, deploySeconds: 0, state: 'crashed', violations: ['the harness crashed'], checked: [] });
      }
      write();
    }
  }
  process.stdout.write(write() + '\n');
  const bad = runs.some((r) => r.violations.length > 0 || r.cells.some((c) => c.outcome.startsWith('FAILED')));
  process.exitCode = bad ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
