/** `hakube worker`: runs the worker process until SIGINT/SIGTERM, then drains gracefully. */
import { Command, InvalidArgumentError } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../temporal/connection-flags';
import { TASK_QUEUE } from '../temporal/task-queue';

interface WorkerFlags extends ConnectionFlags {
  maxConcurrentActivities: number;
  taskQueue: string;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** Attempts a killed worker on this machine left started: run them again now, not after their heartbeat timeout. */
async function takeBack(flags: WorkerFlags): Promise<void> {
  const { connectClient } = await import('../temporal/connection');
  const { reclaimDeadWorkersActivities } = await import('../temporal/reclaim');
  try {
    const client = await connectClient(flags);
    try {
      for (const r of await reclaimDeadWorkersActivities(client, { taskQueue: flags.taskQueue })) {
        process.stderr.write(`hakube worker: took back ${r.activityType} (${r.workflowId}, activity ${r.activityId}) from dead worker ${r.deadWorker}\n`);
      }
    } finally {
      await client.connection.close();
    }
  } catch (err) {
    // Only a speed-up: the heartbeat timeout still ends those attempts.
    process.stderr.write(`hakube worker: could not look for a dead worker's activities: ${(err as Error).message}\n`);
  }
}

export function register(program: Command): void {
  const cmd = program
    .command('worker')
    .description('run the hakube worker (workflows + activities) until Ctrl-C')
    .option('--max-concurrent-activities <n>', 'activities run at once (SSH sessions in flight)', positiveInt, 200)
    .option('--task-queue <name>', 'task queue to poll', TASK_QUEUE);
  addConnectionOptions(cmd).action(async (flags: WorkerFlags) => {
    const { connectNative } = await import('../temporal/connection');
    const { createWorker, WORKFLOW_THREAD_HEAP } = await import('../worker');
    const { connection, namespace, address } = await connectNative(flags);
    try {
      const worker = await createWorker({
        connection,
        namespace,
        taskQueue: flags.taskQueue,
        maxConcurrentActivities: flags.maxConcurrentActivities,
        workflowThreadHeap: WORKFLOW_THREAD_HEAP,
      });
      process.stderr.write(`hakube worker: polling task queue "${flags.taskQueue}" on ${address} (namespace ${namespace}); Ctrl-C stops\n`);
      // The SDK Runtime turns SIGINT/SIGTERM into worker.shutdown(): run() returns once drained.
      const running = worker.run();
      await takeBack(flags);
      await running;
    } finally {
      await connection.close();
    }
  });
}
