import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeadLocalWorker, workerIdentity } from '../../src/temporal/reclaim';

test('a worker is judged dead only when it ran on this host and its pid is gone', () => {
  const alive = (pid: number) => pid === 42;
  assert.equal(isDeadLocalWorker('41@here', 'here', alive), true);
  assert.equal(isDeadLocalWorker('42@here', 'here', alive), false, 'pid still runs');
  assert.equal(isDeadLocalWorker('41@there', 'here', alive), false, 'another machine');
  assert.equal(isDeadLocalWorker(`${process.pid}@here`, 'here', () => false), false, 'this process itself');
  assert.equal(isDeadLocalWorker('worker-1', 'here', alive), false, 'not a pid@host identity');
  assert.equal(isDeadLocalWorker(undefined, 'here', alive), false);
  assert.equal(workerIdentity(7, 'h'), '7@h');
});
