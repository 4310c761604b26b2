/** A finished run's status reads its result: the final progress when the run recorded it, else how it ended. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { Plan, PlannedPhase } from '../../src/plan/types';
import type { DeployResult, Progress } from '../../src/workflows/defs';
import { compactProgress } from '../../src/workflows/compact';
import { applyResult, initialProgress, markRunning, phaseOf } from '../../src/workflows/state';
import { closedRunSummary, finalProgress, readEnding } from '../../src/client/closed';
import { expandProgress } from '../../src/client/progress';
import { renderBoard } from '../../src/client/render';
import { secret } from '../../src/temporal/secret';
import { EXIT } from '../../src/exit';

const workers = Array.from({ length: 30 }, (_, i) => `w${i + 1}`);

function phase(hosts: string[]): PlannedPhase {
  return {
    name: 'join-workers',
    title: 'join workers',
    run: { kind: 'host', secrets: [] },
    skipped: false,
    hosts,
    concurrency: 10,
    steps: hosts.flatMap((host) => ['stage', 'join'].map((slug) => ({ id: `join-workers/${host}/${slug}`, phase: 'join-workers' as const, host, title: slug, files: [], commands: [{ argv: ['true'] }] }))),
  };
}

/** A done 30-host run: its result carries the compact form even below the query's threshold. */
function doneRun(): Progress {
  const plan: Plan = { cluster: 'big', master0: 'm1', phases: [phase(workers)] };
  const p = initialProgress(plan);
  const ph = phaseOf(p, 'join-workers');
  ph.status = 'done';
  for (const h of ph.hosts) {
    markRunning(h, 'hakube/big/deploy', 1_000);
    applyResult(h, { host: h.host, phase: 'join-workers', steps: h.steps.map((s) => ({ id: s.id, status: 'done', attempts: 1, tail: 'joined' })) }, 2_000);
  }
  p.state = 'done';
  p.kubeconfigFetched = true;
  return p;
}

const json = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const home = () => ({ HAKUBE_HOME: fs.mkdtempSync(path.join(os.tmpdir(), 'hakube-closed-')) });

test("a result with its final progress gives the board, the summarized hosts and the operator's admin.conf", () => {
  const p = doneRun();
  const result: DeployResult = { cluster: 'big', state: 'done', skipped: [], kubeconfig: secret('apiVersion: v1\nkind: Config\n'), progress: json(compactProgress(p)) as unknown as Progress };
  const env = home();
  const got = finalProgress({ result }, env);
  assert.ok(got);
  assert.equal(renderBoard(got.progress), renderBoard(expandProgress(json(compactProgress(p)))));
  assert.equal(got.progress.state, 'done');
  // The compact form left the done hosts' tails behind: `status --host` reads them from history.
  assert.equal(got.summarized.length, workers.length);
  const file = path.join(env.HAKUBE_HOME, 'big', 'admin.conf');
  assert.equal(got.progress.kubeconfig, file);
  assert.equal(fs.readFileSync(file, 'utf8'), 'apiVersion: v1\nkind: Config\n');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
});

test('a result recorded before the final progress, and a failed run, say how they ended', () => {
  const env = home();
  const old: DeployResult = { cluster: 'c1', state: 'done', skipped: ['w2'], verification: { ok: true, checks: [{ name: 'nodes', ok: true, detail: '3 Ready' }] } };
  assert.equal(finalProgress({ result: old }, env), undefined);
  const said = closedRunSummary({ result: old }, 'COMPLETED', env);
  assert.equal(said.exitCode, EXIT.DONE);
  assert.match(said.text, /^c1: done \(run completed; start a worker for step detail\)/);
  assert.match(said.text, /verification: PASSED/);
  assert.match(said.text, /skipped hosts: w2/);
  assert.equal(finalProgress({ error: 'join-masters: m2 failed' }, env), undefined);
  const failed = closedRunSummary({ error: 'join-masters: m2 failed' }, 'FAILED', env);
  assert.deepEqual(failed, { text: 'deploy failed: join-masters: m2 failed', exitCode: EXIT.FAILED });
});

test("the ending is the result, or the failure's cause", async () => {
  const ok = { result: async () => ({ cluster: 'c1', state: 'done', skipped: [] }) } as unknown as WorkflowHandle;
  assert.deepEqual(await readEnding(ok), { result: { cluster: 'c1', state: 'done', skipped: [] } });
  const failed = {
    result: async () => {
      throw Object.assign(new Error('Workflow execution failed'), { cause: new Error('etcd lost quorum') });
    },
  } as unknown as WorkflowHandle;
  assert.deepEqual(await readEnding(failed), { error: 'etcd lost quorum' });
});
