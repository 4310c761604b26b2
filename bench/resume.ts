/**
 * Resume after a killed worker (issue #15, target 5), on the lab with the product's defaults
 * (60 s heartbeat timeout, 5 s first retry): a 3-master deploy whose worker process is SIGKILLed
 * a few seconds into m2's `kubeadm join --control-plane`, then a new `hakube worker` is started.
 *
 *   resume_seconds    from the new worker's start to the killed step's next attempt starting
 *                     (its ActivityTaskStarted time on the server), target <= 5
 *   reexecuted_steps  kubeadm init/join commands that ran more than once on a host, from the
 *                     hosts' own command logs, target 0 (the retry awaits the detached join)
 *
 * `node --import tsx bench/resume.ts` (npm run bench:resume); exit 1 when a target is missed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { temporal } from '@temporalio/proto';
import { startLab } from '../test/helpers/lab';
import { startTestServer } from '../test/helpers/temporal';
import { workerPidOf } from '../test/helpers/worker-pid';
import { cliEnv, commandLog, count, dropKubeconfig, ROOT } from '../test/e2e/deploy-support';
import { loadSpec } from '../src/spec/load';
import { startDeploy } from '../src/client/deploy';
import { progressQuery, retryUpdate } from '../src/workflows/defs';
import { figure, recordResults } from './results';

const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const server = await startTestServer();
  const lab = await startLab({ prefix: 'bres', hosts: ['m1', 'm2', 'm3'] });
  const workers: ChildProcess[] = [];
  const startWorker = (): Promise<ChildProcess> => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/hakube.js'), 'worker'], { env: cliEnv(server), stdio: ['ignore', 'ignore', 'pipe'] });
    workers.push(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    return new Promise((resolve, reject) => {
      const t = setInterval(() => err.includes('polling task queue') && (clearInterval(t), resolve(child)), 50);
      child.on('exit', (code) => (clearInterval(t), reject(new Error(`worker exited ${code}: ${err}`))));
    });
  };
  try {
    const spec = loadSpec(lab.specPath);
    const first = await startWorker();
    const handle = await startDeploy(server.client, spec, {});
    for (let i = 0; count(await commandLog(lab, 'm2'), /^kubeadm join /) === 0; i++) {
      if (i > 2400) throw new Error('m2 never ran kubeadm join');
      await sleep(250);
    }
    await sleep(3000);
    // What the killed worker had started, per workflow.
    const inFlight: Array<{ workflowId: string; runId: string; activityId: string; attempt: number }> = [];
    for await (const wf of server.client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
      const { raw } = await server.client.workflow.getHandle(wf.workflowId, wf.runId).describe();
      for (const a of raw.pendingActivities ?? []) {
        if (a.state === STARTED && a.lastWorkerIdentity?.startsWith(`${workerPidOf(first.pid!)}@`)) inFlight.push({ workflowId: wf.workflowId, runId: wf.runId, activityId: a.activityId!, attempt: a.attempt ?? 1 });
      }
    }
    if (inFlight.length === 0) throw new Error('the worker had no step in flight at the kill');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const t0 = Date.now();
    await startWorker();
    let resumedAt: number | undefined;
    for (let i = 0; resumedAt === undefined && i < 3000; i++) {
      for (const f of inFlight) {
        const { raw } = await server.client.workflow.getHandle(f.workflowId, f.runId).describe().catch(() => ({ raw: { pendingActivities: [] } }));
        const a = raw.pendingActivities?.find((p) => p.activityId === f.activityId);
        if (a && (a.attempt ?? 1) > f.attempt && a.state === STARTED && a.lastStartedTime) {
          const ts = a.lastStartedTime;
          resumedAt = Number(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
        }
      }
      if (resumedAt === undefined) await sleep(100);
    }
    const resumeSeconds = resumedAt === undefined ? null : Math.max(0, (resumedAt - t0) / 1000);
    let retries = 0;
    for (let i = 0; ; i++) {
      const p = await handle.query(progressQuery).catch(() => undefined);
      if (p?.state === 'done' || p?.state === 'failed') break;
      if (p?.state === 'waiting' && retries++ < 2) await handle.executeUpdate(retryUpdate);
      if (i > 1800) throw new Error('deploy did not finish');
      await sleep(1000);
    }
    const result = await handle.result();
    let again = 0;
    for (const host of ['m1', 'm2', 'm3']) {
      const n = count(await commandLog(lab, host), /^kubeadm (init|join) (?!phase)/);
      again += Math.max(0, n - 1);
    }
    console.log(`deploy ${result.state}; steps in flight at the kill: ${inFlight.length}; resume ${resumeSeconds ?? 'never'} s; kubeadm init/join run again: ${again}; operator retries: ${retries}`);
    const missed = recordResults('bench/resume.ts (lab, 3 masters, defaults)', {
      resume_seconds: figure(resumeSeconds, '<=', 5, 'new worker start -> killed step next attempt started (server time)'),
      reexecuted_steps: figure(result.state === 'done' ? again : null, '<=', 0, 'kubeadm init/join run twice on a host'),
    });
    if (missed.length) {
      console.error(`missed: ${missed.join(', ')}`);
      process.exitCode = 1;
    }
  } finally {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    dropKubeconfig(lab.cluster);
    await lab.down();
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
