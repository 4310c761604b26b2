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

export function register(program: Command): void {
  const cmd = program
    .command('worker')
    .description('run the hakube worker (workflows + activities) until Ctrl-C')
    .option('--max-concurrent-activities <n>', 'activities run at once (SSH sessions in flight)', positiveInt, 200)
    .option('--task-queue <name>', 'task queue to poll', TASK_QUEUE);
  addConnectionOptions(cmd).action(async (flags: WorkerFlags) => {
    const { connectNative } = await import('../temporal/connection');
    const { createWorker } = await import('../worker');
    const { connection, namespace, address } = await connectNative(flags);
    try {
      const worker = await createWorker({
        connection,
        namespace,
        taskQueue: flags.taskQueue,
        maxConcurrentActivities: flags.maxConcurrentActivities,
      });
      process.stderr.write(`hakube worker: polling task queue "${flags.taskQueue}" on ${address} (namespace ${namespace}); Ctrl-C stops\n`);
      // The SDK Runtime turns SIGINT/SIGTERM into worker.shutdown(): run() returns once drained.
      await worker.run();
    } finally {
      await connection.close();
    }
  });
}
