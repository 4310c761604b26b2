/**
 * Records the history of the test fixture workflow `greet` into test/histories/greet.json, for
 * the replay test. Run once (and again only when the fixture is meant to change):
 *   node --import tsx scripts/record-history.ts
 * It starts its own throw-away dev server from .tools/bin/temporal.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleOnce, startTestServer } from '../test/helpers/temporal';
import * as activities from '../test/fixtures/activities';
import { greet } from '../test/fixtures/workflows';
import { historyToJSON } from '../src/temporal/history';
import { TASK_QUEUE } from '../src/temporal/task-queue';

async function main(): Promise<void> {
  const server = await startTestServer();
  try {
    const worker = await server.worker({
      workflowBundle: await bundleOnce(path.join(__dirname, '../test/fixtures/workflows.ts')),
      activities,
    });
    const workflowId = 'greet-recorded';
    await worker.runUntil(async () => {
      const handle = await server.client.workflow.start(greet, { taskQueue: TASK_QUEUE, workflowId, args: ['hakube'] });
      const result = await handle.result();
      if (result !== 'hello hello hakube') throw new Error(`unexpected result ${result}`);
    });
    const history = await server.client.workflow.getHandle(workflowId).fetchHistory();
    const out = path.join(__dirname, '../test/histories/greet.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, historyToJSON(history));
    process.stdout.write(`wrote ${out} (${history.events?.length} events)\n`);
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
