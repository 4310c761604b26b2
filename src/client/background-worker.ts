/**
 * A hakube worker started in the background for `hakube demo`, with its pid in
 * `<HAKUBE_HOME>/worker.pid`, so the demo can stop exactly the process it started.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError } from '../exit';
import { hakubeHome, PROJECT_ROOT } from '../temporal/paths';
import { alive, stopPid } from '../temporal/pids';

export const workerPidFile = (env: NodeJS.ProcessEnv = process.env): string => path.join(hakubeHome(env), 'worker.pid');
export const workerLogFile = (env: NodeJS.ProcessEnv = process.env): string => path.join(hakubeHome(env), 'worker.log');

/** The recorded worker pid, if that process still runs our worker (not a reused pid). */
export function runningWorker(env: NodeJS.ProcessEnv = process.env): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(workerPidFile(env), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
  try {
    if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker')) return undefined;
  } catch {
    return undefined;
  }
  return pid;
}

export async function startBackgroundWorker(env: NodeJS.ProcessEnv = process.env): Promise<{ pid: number; started: boolean }> {
  const existing = runningWorker(env);
  if (existing) return { pid: existing, started: false };
  fs.mkdirSync(hakubeHome(env), { recursive: true, mode: 0o700 });
  // Only what this worker appends counts: the log keeps earlier runs.
  const logStart = fs.existsSync(workerLogFile(env)) ? fs.statSync(workerLogFile(env)).size : 0;
  const log = fs.openSync(workerLogFile(env), 'a');
  let pid: number | undefined;
  let exited: string | undefined;
  try {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'hakube.js'), 'worker'], {
      detached: true,
      stdio: ['ignore', log, log],
      env,
    });
    pid = child.pid;
    child.on('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
    child.unref();
  } finally {
    fs.closeSync(log);
  }
  if (pid === undefined) throw new CliError('could not start the hakube worker');
  fs.writeFileSync(workerPidFile(env), `${pid}\n`);
  // The worker says it polls once it is connected and has bundled the workflows.
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (exited) break;
    if (fs.readFileSync(workerLogFile(env)).subarray(logStart).toString('utf8').includes('polling task queue')) return { pid, started: true };
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new CliError(`the hakube worker ${exited ?? 'did not start in time'}; see ${workerLogFile(env)}`);
}

export async function stopBackgroundWorker(pid: number, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!alive(pid)) return;
  await stopPid(pid, 40_000);
  fs.rmSync(workerPidFile(env), { force: true });
}
