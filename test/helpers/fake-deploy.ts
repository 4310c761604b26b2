/**
 * A whole deploy on fake hosts (./fake-hosts.ts): the real deployCluster with the real
 * activities on a real Temporal dev server, SSH replaced only at the transport. Measures what
 * Temporal's limits are about: each workflow's history (bytes, events), the largest workflow
 * task's commands, and the progress query's answer.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import { createActivities } from '../../src/activities';
import { buildPlan } from '../../src/plan/build';
import { parseSpec } from '../../src/spec/parse';
import type { Cluster } from '../../src/spec/types';
import { SshPool } from '../../src/ssh';
import { PROJECT_ROOT } from '../../src/temporal/paths';
import { deployWorkflowId, progressQuery } from '../../src/workflows/defs';
import { FakeHosts } from './fake-hosts';
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

/** Deploys 3 + `workers` fake hosts on `server` with one in-process worker and measures the run. */
export async function fakeDeploy(
  server: TestServer,
  workers: number,
  opts: { name?: string; concurrency?: number; latencyMs?: number; timeoutMs?: number; hostsPerGroup?: number; onStart?: () => void } = {},
): Promise<FakeDeployResult> {
  const name = opts.name ?? `fake-${workers}`;
  const fakes = new FakeHosts(opts.latencyMs);
  const spec = fakeSpec(workers, name, fakes, opts.concurrency);
  fakes.expect(buildPlan(spec));
  process.env.HAKUBE_SSH_DIRS = [process.env.HAKUBE_SSH_DIRS, fakes.dir].filter(Boolean).join(':');
  const pool = new SshPool({ transport: fakes.transport });
  const worker = await server.worker({
    workflowBundle: await bundleOnce(join(PROJECT_ROOT, 'src', 'workflows', 'index.ts')),
    activities: createActivities({ pool }),
  });
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
  // Queried with a worker again: the run is closed, so the query replays its history.
  const progressQueryBytes = await (await server.worker({ workflowBundle: await bundleOnce(join(PROJECT_ROOT, 'src', 'workflows', 'index.ts')), activities: {} })).runUntil(async () => {
    try {
      const p = await server.client.workflow.getHandle(deployWorkflowId(name)).query(progressQuery);
      return Buffer.byteLength(JSON.stringify(p));
    } catch (err) {
      error ??= `progress query: ${(err as Error).message}`;
      return NaN;
    }
  });
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
    commandsRun: fakes.commandsRun(),
    sshDials: fakes.dials,
    sshOpenMax: fakes.maxOpen,
    ...(error ? { error } : {}),
    prepMsPerStep,
  };
}
