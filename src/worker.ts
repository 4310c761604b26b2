/**
 * The hakube worker process: polls task queue `hakube`, runs the deploy workflows (bundled from
 * src/workflows/index.ts) and their activities (src/activities/index.ts) with the secret codec.
 * `createWorker` is also what e2e tests use to run a worker in-process against a test server.
 */
import * as path from 'node:path';
import { bundleWorkflowCode, Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createDataConverter } from './temporal/data-converter';
import { cachedWorkflowBundle } from './temporal/workflow-bundle';
import { PROJECT_ROOT } from './temporal/paths';
import { TASK_QUEUE } from './temporal/task-queue';
import { workerIdentity } from './temporal/reclaim';

/**
 * Always the TypeScript source, also when the CLI runs from the launcher's bundle in dist/: the
 * SDK's bundler (webpack + swc) compiles it, so the workflow code the worker runs is the code
 * the recorded histories replay against, however the CLI itself was started.
 */
export const DEFAULT_WORKFLOWS_PATH = path.join(PROJECT_ROOT, 'src', 'workflows', 'index.ts');

/**
 * Activities in flight at once. Each mostly waits on a remote command, so slots cost little; 200
 * lets a few hundred hosts' phases run at spec.workers.concurrency up to that without queueing.
 */
export const DEFAULT_ACTIVITY_SLOTS = 200;

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /** Defaults to src/workflows/index.ts; ignored when `workflowBundle` is given. */
  workflowsPath?: string;
  /** A pre-built bundle (bundleWorkflowCode) so tests do not re-bundle for every worker. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Defaults to src/activities' createActivities(). */
  activities?: object;
  maxConcurrentActivities?: number;
  env?: NodeJS.ProcessEnv;
  /** Extra Worker options, e.g. identity or tuning for tests. */
  extra?: Partial<WorkerOptions>;
}

export async function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  // Bundled here rather than by Worker.create so webpack's per-module report stays out of the log.
  const workflowBundle =
    opts.workflowBundle ??
    (opts.workflowsPath
      ? await bundleWorkflowCode({ workflowsPath: opts.workflowsPath, logger: bundlerLogger })
      : await cachedWorkflowBundle({ root: PROJECT_ROOT, workflowsPath: DEFAULT_WORKFLOWS_PATH, logger: bundlerLogger }));
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    workflowBundle,
    activities: opts.activities ?? (await import('./activities')).createActivities(),
    dataConverter: createDataConverter(opts.env),
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivities ?? DEFAULT_ACTIVITY_SLOTS,
    // pid@host, as the SDK's default, but ours by contract: a successor reads it (reclaim.ts).
    identity: workerIdentity(),
    // Activities get this long to finish (e.g. a kubeadm step) once SIGINT/SIGTERM arrives.
    shutdownGraceTime: '30s',
    ...opts.extra,
  });
}

const drop = (): void => undefined;
const bundlerLogger = {
  trace: drop,
  debug: drop,
  info: drop,
  log: drop,
  warn: (message: string) => process.stderr.write(`hakube worker: bundler warning: ${message}\n`),
  error: (message: string) => process.stderr.write(`hakube worker: bundler error: ${message}\n`),
};
