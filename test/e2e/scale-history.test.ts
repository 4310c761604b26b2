/**
 * History per host stays bounded: a deploy of 3+60 fake hosts (real workflows and activities on
 * a real dev server, SSH replaced at the transport) may not leave more than 2.2x the history
 * of 3+30. Inputs that carried the whole spec grew it with the square of the host count.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/temporal';
import { fakeDeploy } from '../helpers/fake-deploy';
import { progressFromHistory } from '../../src/client/history-progress';
import { deployWorkflowId } from '../../src/workflows/defs';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server?.stop();
});

test('history bytes at 3+60 fake hosts are at most 2.2x those at 3+30', { timeout: 600_000 }, async () => {
  const small = await fakeDeploy(server, 30, { name: 'fake-30' });
  const large = await fakeDeploy(server, 60, { name: 'fake-60' });
  const ratio = large.historyBytesTotal / small.historyBytesTotal;
  const parentRatio = large.historyBytesMax / small.historyBytesMax;
  const brief = (r: typeof small) => ({ hosts: r.hosts, historyBytesTotal: r.historyBytesTotal, historyBytesMax: r.historyBytesMax, historyEventsMax: r.historyEventsMax, workflows: r.workflows.length });
  console.log(JSON.stringify({ small: brief(small), large: brief(large), ratio, parentRatio }));
  // Every host really ran: its steps' commands reached the fake hosts.
  assert.ok(large.commandsRun > 1.8 * small.commandsRun, `commands run: ${small.commandsRun} at 33 hosts, ${large.commandsRun} at 63`);
  assert.ok(ratio <= 2.2, `all histories: ${small.historyBytesTotal} B at 33 hosts, ${large.historyBytesTotal} B at 63 (${ratio.toFixed(2)}x)`);
  assert.ok(parentRatio <= 2.2, `largest history: ${small.historyBytesMax} B at 33 hosts, ${large.historyBytesMax} B at 63 (${parentRatio.toFixed(2)}x)`);
});

test('a phase with more hosts than hostsPerGroup runs in host-group children: the parent keeps a fraction of the history', { timeout: 600_000 }, async () => {
  const flat = await fakeDeploy(server, 60, { name: 'fake-flat-60' });
  const grouped = await fakeDeploy(server, 60, { name: 'fake-grouped-60', hostsPerGroup: 20 });
  assert.equal(grouped.commandsRun, flat.commandsRun, 'every host ran the same commands');
  const groups = grouped.workflows.filter((w) => /\/group-/.test(w.workflowId));
  // prep (63 hosts) and join-workers (60) each in ceil(n / 20) groups
  assert.equal(groups.length, 4 + 3, groups.map((g) => g.workflowId).join(', '));
  // The groups join their workers themselves: no child per worker (the flat run has one each).
  assert.equal(grouped.workflows.filter((w) => /\/join-worker\//.test(w.workflowId)).length, 0);
  assert.equal(flat.workflows.filter((w) => /\/join-worker\//.test(w.workflowId)).length, 60);
  const parent = (r: typeof flat) => r.workflows.find((w) => w.workflowId.endsWith('/deploy'))!;
  assert.ok(parent(grouped).events * 3 < parent(flat).events, `parent events: ${parent(flat).events} flat, ${parent(grouped).events} grouped`);
  assert.ok(grouped.historyBytesMax * 2 < flat.historyBytesMax, `largest history: ${flat.historyBytesMax} B flat, ${grouped.historyBytesMax} B grouped`);
  // `hakube logs` of the finished run, no worker: every grouped host's outcome from the parent's
  // history, and an asked host's tails from its group's own history.
  const handle = server.client.workflow.getHandle(deployWorkflowId('fake-grouped-60'));
  const read = await progressFromHistory(server.client, handle, { hosts: ['w7'] });
  const jw = read.phases.find((ph) => ph.name === 'join-workers')!;
  assert.deepEqual(jw.hosts.filter((h) => h.status !== 'done').map((h) => h.host), []);
  assert.match(jw.hosts.find((h) => h.host === 'w7')!.workflowId ?? '', /\/join-workers\/group-w1\/1$/);
  assert.ok(jw.hosts.find((h) => h.host === 'w7')!.steps.some((st) => st.tail), 'w7 has its tails');
  assert.ok(!jw.hosts.find((h) => h.host === 'w45')!.steps.some((st) => st.tail), 'a host not asked for keeps the parent\'s tail-less outcome');
  assert.equal(read.state, 'done');
});
