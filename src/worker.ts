/**
 * The hakube worker process: polls task queue `hakube`, runs the deploy workflows (bundled from
 * src/workflows/index.ts) and their activities (src/activities/index.ts) with the secret codec.
 * `createWorker` is also what e2e tests use to run a worker in-process against a test server.
 */
import * as path from 'node:path';
import * as v8 from 'node:v8';
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

/**
 * The V8 heap of the thread the SDK runs all workflows in, for the `hakube worker` process.
 * Node's defaults are sized for a server with gigabytes to spare: 16 MB semi-spaces (a young
 * generation of up to 48 MB) and an old generation allowed to grow to about a quarter of RAM,
 * so the thread keeps collecting late and its garbage is most of the worker's resident memory
 * (a 3+100 deploy: some 50 MB live in the thread, 430 MB resident for the process). A 1 MB
 * semi-space makes scavenges more frequent but each is cheap, the live young data being small;
 * the old generation's cap is there to size the workflow cache against (below), with room
 * for thousands of hosts' workflows.
 */
export const WORKFLOW_THREAD_HEAP = { semiSpaceMb: 1, oldSpaceMb: 1024 };

/**
 * Workflows kept cached for a thread heap of `oldSpaceMb`: the SDK's own rule (600 per GB
 * above 200 MB with a shared V8 context), which it applies to the main thread's heap limit and
 * so would size a cache that the capped thread cannot hold.
 */
export function cachedWorkflowsFor(oldSpaceMb: number): number {
  return Math.max(Math.floor((Math.max(oldSpaceMb - 200, 0) * 600) / 1024), 10);
}

/**
 * V8 reads these flags when an isolate's heap is set up: set before Worker.create they size the
 * workflow thread it starts, while the main thread keeps the heap it started with.
 */
function limitWorkflowThreadHeap(heap: typeof WORKFLOW_THREAD_HEAP): void {
  v8.setFlagsFromString(`--max-semi-space-size=${heap.semiSpaceMb}`);
  v8.setFlagsFromString(`--max-old-space-size=${heap.oldSpaceMb}`);
}

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
  /**
   * Caps the workflow thread's heap (WORKFLOW_THREAD_HEAP for `hakube worker`) and sizes the
   * workflow cache to it. V8's flags are per process: a process that starts several workers
   * (tests) leaves this out and keeps Node's defaults.
   */
  workflowThreadHeap?: typeof WORKFLOW_THREAD_HEAP;
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
  if (opts.workflowThreadHeap) limitWorkflowThreadHeap(opts.workflowThreadHeap);
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    workflowBundle,
    activities: opts.activities ?? (await import('./activities')).createActivities(),
    dataConverter: createDataConverter(opts.env),
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivities ?? DEFAULT_ACTIVITY_SLOTS,
    ...(opts.workflowThreadHeap ? { maxCachedWorkflows: cachedWorkflowsFor(opts.workflowThreadHeap.oldSpaceMb) } : {}),
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
