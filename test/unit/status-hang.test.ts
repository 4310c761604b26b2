/** `hakube status` names a hang: a host whose step outlived its timeout reads HUNG, not just failed or running. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { renderBoard } from '../../src/client/render';
import { renderHost, renderWide } from '../../src/client/detail';
import { fitBoard } from '../../src/client/board';
import { initialProgress, applyFailure, markRunning, hostOf, phaseOf } from '../../src/workflows/state';
import { buildPlan } from '../../src/plan/build';
import { loadSpec } from '../../src/spec/load';

const plan = buildPlan(loadSpec(path.join(__dirname, '../../examples/ha-local-proxy.yaml')));
const HANG = 'StepHang: k5: hang: join-workers/k5/kubeadm-join (kubeadm join) had not finished after its timeout of 330 s; stopped it';

test('a host failed by a hang is HUNG on the board, the wide view and the host view', () => {
  const p = initialProgress(plan);
  const h = hostOf(phaseOf(p, 'join-workers'), 'k5');
  applyFailure(h, HANG, 5, { stepId: 'join-workers/k5/kubeadm-join', stepIndex: 0, tail: '', attempt: 5 });
  assert.match(renderBoard(p), /k5 ✗ \(attempt 5\) HUNG/);
  assert.match(renderWide(p, Date.now()).join('\n'), /k5\s+HUNG\s+StepHang/);
  assert.match(renderHost(p, 'k5', Date.now())!.join('\n'), /join-workers: HUNG, attempt 5/);
  assert.match(fitBoard(p, { columns: 200, rows: 40 }, Date.now()).join('\n'), /k5 .*HUNG: StepHang/);
});

test('a host retrying after a hung attempt says so while it runs; an ordinary failure is not called a hang', () => {
  const p = initialProgress(plan);
  const h = hostOf(phaseOf(p, 'join-workers'), 'k4');
  markRunning(h, 'wf');
  h.attempts = 2;
  h.lastError = 'k4: hang: kubeadm join --config /etc/hakube/kubeadm-join.yaml had not finished after 331 s (timeout 330 s); stopped it';
  assert.match(renderBoard(p), /k4 … .*\(attempt 2\) HUNG before, retrying/);
  assert.match(renderWide(p, Date.now()).join('\n'), /k4\s+running \(HUNG before: retrying\)/);
  const q = initialProgress(plan);
  applyFailure(hostOf(phaseOf(q, 'join-workers'), 'k4'), 'CommandFailedError: k4: kubeadm join exited 1: hang: not a timeout', 2);
  assert.doesNotMatch(renderBoard(q) + renderWide(q, Date.now()).join('\n'), /HUNG/);
});
