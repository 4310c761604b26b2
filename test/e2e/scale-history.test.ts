/**
 * History per host stays bounded: a deploy of 3+60 fake hosts (real workflows and activities on
 * a real dev server, SSH replaced at the transport) may not leave more than 2.2x the history
 * of 3+30. Inputs that carried the whole spec grew it with the square of the host count.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/temporal';
import { fakeDeploy } from '../helpers/fake-deploy';

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
  console.log(JSON.stringify({ small: { ...small, workflows: small.workflows.length }, large: { ...large, workflows: large.workflows.length }, ratio, parentRatio }));
  // Every host really ran: its steps' commands reached the fake hosts.
  assert.ok(large.commandsRun > 1.8 * small.commandsRun, `commands run: ${small.commandsRun} at 33 hosts, ${large.commandsRun} at 63`);
  assert.ok(ratio <= 2.2, `all histories: ${small.historyBytesTotal} B at 33 hosts, ${large.historyBytesTotal} B at 63 (${ratio.toFixed(2)}x)`);
  assert.ok(parentRatio <= 2.2, `largest history: ${small.historyBytesMax} B at 33 hosts, ${large.historyBytesMax} B at 63 (${parentRatio.toFixed(2)}x)`);
});
