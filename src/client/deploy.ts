/**
 * Client side of a deploy: start the per-cluster workflow (its id is the cluster lock), find
 * an existing run, and read its progress without hanging when no worker answers queries.
 */
import * as path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { CliError, EXIT } from '../exit';
import type { Cluster } from '../spec/types';
import { deployWorkflowId, hostQuery, progressQuery, type HostDetail, type Progress } from '../workflows/defs';
import type { DeployInput } from '../workflows/deploy';
import type { DeployOptions } from '../workflows/proxies';
import { runningActions } from './lock';
import { expandProgress, summarizedDone } from './progress';
import { startAction } from './start-action';

export const WEB_UI = process.env.HAKUBE_WEB_UI ?? 'http://127.0.0.1:8233';

export function webUiLink(workflowId: string, namespace = 'default'): string {
  return `${WEB_UI}/namespaces/${namespace}/workflows/${encodeURIComponent(workflowId)}`;
}

/**
 * SSH key and known_hosts paths are resolved here, on the operator's machine, so the worker
 * (started from anywhere) reads the same files; the key itself never enters the workflow.
 */
export function withAbsolutePaths(spec: Cluster, base = process.cwd()): Cluster {
  const ssh = { ...spec.spec.ssh };
  if (ssh.privateKeyPath) ssh.privateKeyPath = path.resolve(base, ssh.privateKeyPath);
  if (ssh.knownHostsPath) ssh.knownHostsPath = path.resolve(base, ssh.knownHostsPath);
  return { ...spec, spec: { ...spec.spec, ssh } };
}

export async function startDeploy(client: Client, spec: Cluster, options?: DeployOptions): Promise<WorkflowHandle> {
  const cluster = spec.metadata.name;
  const input: DeployInput = { spec: withAbsolutePaths(spec), options };
  return startAction(client, cluster, 'deploy', {
    input,
    summary: `deploy ${cluster}`,
    alreadyRunning: (id) =>
      `a deploy of ${cluster} is already running (${id}); follow it with \`hakube status ${cluster} --watch\` or stop it with \`hakube abort ${cluster}\``,
  });
}

export function deployHandle(client: Client, cluster: string): WorkflowHandle {
  return client.workflow.getHandle(deployWorkflowId(cluster));
}

/**
 * The cluster's current action run: the one running (the lock allows one), else its deploy.
 * Status, logs and retry/skip/abort steer whichever action it is. Fails with a one-line
 * CliError when the cluster has no deploy run at all.
 */
export async function describeDeploy(client: Client, cluster: string) {
  const running = await runningActions(client, cluster);
  const id = running[0]?.workflowId ?? deployWorkflowId(cluster);
  try {
    return await client.workflow.getHandle(id).describe();
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') {
      throw new CliError(`no deploy of ${cluster} found; start one with \`hakube deploy -f <cluster.yaml>\``, EXIT.BAD_INPUT);
    }
    throw err;
  }
}

/** The progress query with a deadline: without a running worker a query would wait for one. */
export async function queryProgress(handle: WorkflowHandle, timeoutMs = 10_000): Promise<Progress> {
  return (await queryProgressAnswer(handle, timeoutMs)).progress;
}

/** The progress query's answer expanded, with the done hosts it summarized (see summarizedDone). */
export async function queryProgressAnswer(handle: WorkflowHandle, timeoutMs = 10_000): Promise<{ progress: Progress; summarized: string[] }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CliError('no answer to the progress query: is a worker running? start one with `hakube worker`')),
      timeoutMs,
    );
  });
  try {
    const wire = await Promise.race([handle.query(progressQuery), timeout]);
    return { progress: expandProgress(wire), summarized: summarizedDone(wire) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One host's full detail (output tails included), or undefined from a run without the `host`
 * query (older workers, renewCerts): its progress answer then carries every host in full.
 */
export async function queryHost(handle: WorkflowHandle, host: string, timeoutMs = 10_000): Promise<HostDetail | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([handle.query(hostQuery, host).catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
