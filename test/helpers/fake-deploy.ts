/**
 * A whole deploy on fake hosts (./fake-hosts.ts, in a process of their own:
 * ./fake-hosts-process.ts): the real deployCluster with the real activities on a real Temporal
 * dev server, SSH replaced only at the transport. Measures what Temporal's limits are about:
 * each workflow's history (bytes, events), the largest workflow task's commands, and the
 * progress query's answer; and the peak resident memory of this process (the worker) and of the
 * fake hosts' process, apart.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { temporal } from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import { createActivities } from '../../src/activities';
import { parseSpec } from '../../src/spec/parse';
import type { Cluster } from '../../src/spec/types';
import { SshPool } from '../../src/ssh';
import { PROJECT_ROOT } from '../../src/temporal/paths';
import type { WORKFLOW_THREAD_HEAP } from '../../src/worker';
import { deployWorkflowId, progressQuery } from '../../src/workflows/defs';
import { FakeHostsProcess, procMemoryMb } from './fake-hosts-process';
import { bundleOnce, type TestServer } from './temporal';

/** examples/ha-vip.yaml with 3 masters and `workers` workers, reached through `fakes`. */
export function fakeSpec(workers: number, name: string, keys: { privateKeyPath: string; knownHostsPath: string }, concurrency = 10): Cluster {
  const example = readFileSync(join(PROJECT_ROOT, 'examples', 'ha-vip.yaml'), 'utf8');
  const hosts = [
    ...[1, 2, 3].map((i) => `    - { name: m${i}, address: 10.30.12.${i + 202}, roles: [control-plane] }`),
    ...Array.from({ length: workers }, (_, i) => `    - { name: w${i + 1}, address: 10.40.${Math.floor(i / 250)}.${(i % 250) + 1}, roles: [worker] }`),
  ];
  const text = example
    .replace(/^ {2}hosts:\n(?: {4}- .*\n)+/m, `  hosts:\n${hosts.join('\n')}\n`)
    .replace(/^ {2}name: ha-vip$/m, `  name: ${name}`)
    .replace(/privateKeyPath: .*/, `privateKeyPath: ${keys.privateKeyPath}`)
    .replace(/knownHostsPath: .*/, `knownHostsPath: ${keys.knownHostsPath}`)
    .replace(/^ {2}cni:/m, `  workers:\n    concurrency: ${concurrency}\n  cni:`);
  return parseSpec(text);
}

export interface WorkflowSize {
  workflowId: string;
  bytes: number;
  events: number;
  /** The largest sum of event bytes one workflow task's commands produced. */
  taskBytes: number;
}

export interface FakeDeployResult {
  hosts: number;
  seconds: number;
  workflows: WorkflowSize[];
  historyBytesMax: number;
  historyEventsMax: number;
  historyBytesTotal: number;
  taskBytesMax: number;
  progressQueryBytes: number;
  commandsRun: number;
  sshDials: number;
  sshOpenMax: number;
  /**
   * Peak resident memory of this process while its worker deployed and answered the progress
   * query (MB): the worker, its workflow cache and the client; the fake hosts are not in it.
   */
  workerRssMbPeak: number | null;
  /** This process's VmRSS when the deploy's worker was about to start (MB): the floor under the peak. */
  workerRssMbStart: number | null;
  /** How workerRssMbPeak was read: VmHWM after a reset at the start, or VmRSS sampled every 250 ms. */
  workerRssBy: 'VmHWM' | 'sampled';
  /** Peak resident memory of the fake hosts' process (MB). */
  fakesRssMbPeak: number | null;
  /** How the run ended when it did not finish: the server's or the workflow's own words. */
  error?: string;
  /** Per prep host: activity scheduled to completed, divided by its steps (ms). */
  prepMsPerStep: number[];
}

export async function workflowSize(client: Client, workflowId: string): Promise<{ size: WorkflowSize; children: string[]; perStep: number[] }> {
  const events: temporal.api.history.v1.IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({ namespace: client.options.namespace, execution: { workflowId }, nextPageToken, maximumPageSize: 100 });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  const perTask = new Map<string, number>();
  const scheduled = new Map<string, { at: number; host?: string; phase?: string }>();
  const perStep: number[] = [];
  let bytes = 0;
  const children: string[] = [];
  for (const e of events) {
    const n = temporal.api.history.v1.HistoryEvent.encode(e).finish().length;
    bytes += n;
    const attrs = Object.values(e).find((v) => v && typeof v === 'object' && 'workflowTaskCompletedEventId' in (v as object)) as { workflowTaskCompletedEventId?: unknown } | undefined;
    if (attrs?.workflowTaskCompletedEventId !== undefined) {
      const k = String(attrs.workflowTaskCompletedEventId);
      perTask.set(k, (perTask.get(k) ?? 0) + n);
    }
    const at = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
    if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'runHostPhase') scheduled.set(String(e.eventId), { at });
    const done = e.activityTaskCompletedEventAttributes;
    if (done && scheduled.has(String(done.scheduledEventId))) {
      let steps: { phase?: string; steps?: unknown[] } = {};
      try {
        steps = JSON.parse(Buffer.from(done.result?.payloads?.[0]?.data ?? []).toString()) as typeof steps;
      } catch {
        // not plain JSON: left out of the timing
      }
      if (steps.phase === 'prep' && steps.steps?.length) perStep.push((at - scheduled.get(String(done.scheduledEventId))!.at) / steps.steps.length);
    }
    const started = e.childWorkflowExecutionStartedEventAttributes;
    if (started?.workflowExecution?.workflowId) children.push(started.workflowExecution.workflowId);
  }
  return { size: { workflowId, bytes, events: events.length, taskBytes: Math.max(0, ...perTask.values()) }, children, perStep };
}

/**
 * Since when this process's VmHWM counts: resetting it (clear_refs 5) makes VmHWM the peak of what
 * follows, not of the bundling or an earlier deploy. False where it cannot be reset.
 */
function resetPeakRss(): boolean {
  try {
    // A full collection first: garbage of the bundling or an earlier deploy is no worker's peak.
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  } catch {
    // no gc to call: the peak may include earlier garbage
  }
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return procMemoryMb('self', 'VmHWM') !== null;
  } catch {
    return false;
  }
}

/**
 * Deploys 3 + `workers` fake hosts on `server` with one in-process worker and measures the run.
 * `withQueryWorker` runs after the progress query, while a worker (not the deploy's) is still up
 * to answer queries of the finished run.
 */
export async function fakeDeploy(
  server: TestServer,
  workers: number,
  opts: {
    name?: string;
    concurrency?: number;
    latencyMs?: number;
    timeoutMs?: number;
    hostsPerGroup?: number;
    /** The workflow thread's heap cap `hakube worker` runs with (src/worker.ts); Node's defaults without. */
    workflowThreadHeap?: typeof WORKFLOW_THREAD_HEAP;
    onStart?: () => void;
    withQueryWorker?: (workflowId: string) => Promise<void>;
  } = {},
): Promise<FakeDeployResult> {
  const name = opts.name ?? `fake-${workers}`;
  const workflowBundle = await bundleOnce(join(PROJECT_ROOT, 'src', 'workflows', 'index.ts'));
  const fakes = await FakeHostsProcess.start(opts.latencyMs);
  try {
    const spec = fakeSpec(workers, name, fakes, opts.concurrency);
    await fakes.expect(spec);
    process.env.HAKUBE_SSH_DIRS = [process.env.HAKUBE_SSH_DIRS, fakes.dir].filter(Boolean).join(':');
    const byHwm = resetPeakRss();
    const workerRssMbStart = procMemoryMb('self', 'VmRSS');
    let sampled = workerRssMbStart ?? 0;
    const sampler = setInterval(() => (sampled = Math.max(sampled, procMemoryMb('self', 'VmRSS') ?? 0)), 250);
    const pool = new SshPool({ transport: fakes.transport });
    const worker = await server.worker({ workflowBundle, activities: createActivities({ pool }), workflowThreadHeap: opts.workflowThreadHeap });
    const started = Date.now();
    let error: string | undefined;
    try {
      await worker.runUntil(async () => {
        const handle = await server.client.workflow.start('deployCluster', {
          taskQueue: 'hakube',
          workflowId: deployWorkflowId(name),
          args: [{ spec, options: { retryInterval: '1s', hostAttempts: 2, ...(opts.hostsPerGroup ? { hostsPerGroup: opts.hostsPerGroup } : {}) } }],
        });
        opts.onStart?.();
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`not finished after ${opts.timeoutMs} ms`)), opts.timeoutMs ?? 3_600_000);
        });
        try {
          await Promise.race([handle.result(), timeout]);
        } catch (err) {
          error = `${(err as Error).message}${(err as { cause?: Error }).cause ? `: ${(err as { cause: Error }).cause.message}` : ''}`;
          await handle.terminate('bench: stopped').catch(() => undefined);
        } finally {
          clearTimeout(timer);
        }
      });
    } finally {
      pool.closeAll();
    }
    const seconds = (Date.now() - started) / 1000;
    let workerRssMbPeak: number | null = null;
    // Queried with a worker again: the run is closed, so the query replays its history.
    const progressQueryBytes = await (await server.worker({ workflowBundle, activities: {} })).runUntil(async () => {
      let bytes = NaN;
      try {
        const p = await server.client.workflow.getHandle(deployWorkflowId(name)).query(progressQuery);
        bytes = Buffer.byteLength(JSON.stringify(p));
      } catch (err) {
        error ??= `progress query: ${(err as Error).message}`;
      }
      clearInterval(sampler);
      const hwm = byHwm ? procMemoryMb('self', 'VmHWM') : null;
      workerRssMbPeak = hwm !== null ? Math.max(hwm, sampled) : sampled || null;
      await opts.withQueryWorker?.(deployWorkflowId(name));
      return bytes;
    });
    const fakesRssMbPeak = fakes.peakRssMb();
    const stats = await fakes.stats();
    const workflows: WorkflowSize[] = [];
    const prepMsPerStep: number[] = [];
    const queue = [deployWorkflowId(name)];
    while (queue.length) {
      const batch = queue.splice(0, 20);
      for (const r of await Promise.all(batch.map((id) => workflowSize(server.client, id)))) {
        workflows.push(r.size);
        prepMsPerStep.push(...r.perStep);
        queue.push(...r.children);
      }
    }
    return {
      hosts: 3 + workers,
      seconds,
      workflows,
      historyBytesMax: Math.max(...workflows.map((w) => w.bytes)),
      historyEventsMax: Math.max(...workflows.map((w) => w.events)),
      historyBytesTotal: workflows.reduce((a, w) => a + w.bytes, 0),
      taskBytesMax: Math.max(...workflows.map((w) => w.taskBytes)),
      progressQueryBytes,
      commandsRun: stats.commandsRun,
      sshDials: stats.dials,
      sshOpenMax: stats.maxOpen,
      workerRssMbPeak,
      workerRssMbStart,
      workerRssBy: byHwm ? 'VmHWM' : 'sampled',
      fakesRssMbPeak,
      ...(error ? { error } : {}),
      prepMsPerStep,
    };
  } finally {
    await fakes.stop();
  }
}
