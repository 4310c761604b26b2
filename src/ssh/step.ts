/**
 * Runs one plan step on its host: files, then the check, then the commands. Activities call this
 * and heartbeat from the hooks; the step is idempotent because files are written only when they
 * differ and a passing check skips the commands. Long commands run detached (./detached.ts) and
 * are re-attached to by a later attempt; the whole step is bounded by its planned timeout, past
 * which it is stopped and reported as a hang.
 */
import { DEFAULT_STEP_TIMEOUT_SECONDS, type PlannedFile, type PlannedStep } from '../plan/types';
import type { SshConnection, OutputStream, RunResult } from './connection';
import { forgetResults, runDetached, runningIndex } from './detached';
import { InvalidCommandError, SshTimeoutError, StepHangError } from './errors';
import { Tail, substitute } from './mask';

export interface StepProgress {
  stepId: string;
  stage: 'file' | 'check' | 'command';
  /** Index into step.commands (stage 'command'). */
  commandIndex?: number;
  /** Path written or compared (stage 'file'). */
  path?: string;
  /** The last lines of the current command's output, stdout and stderr interleaved, masked. */
  tail: string;
  /** Set when this report is the host saying the command still runs, not new output. */
  alive?: boolean;
}

export interface StepHooks {
  onProgress?: (p: StepProgress) => void;
  signal?: AbortSignal;
  /** Identifies the run for detached commands (see DetachedOptions.owner). */
  owner?: string;
  /** See DetachedOptions.keepRunningOnAbort. */
  keepRunningOnAbort?: () => boolean;
}

export interface StepResult {
  /** True when the check passed and the commands were not run. */
  skipped: boolean;
  files: Array<{ path: string; changed: boolean }>;
  /** One per command run (empty when skipped). */
  results: RunResult[];
}

const PROGRESS_TAIL_CHARS = 4096;
/** How often a quiet ordinary command's host is asked whether it still answers. */
const PROBE_EVERY_MS = 3_000;

export const detachedKey = (step: PlannedStep, index: number) => `${step.id}#${index}`;

async function writeFiles(conn: SshConnection, step: PlannedStep, files: PlannedFile[], runtime: Readonly<Record<string, string>>, hooks: StepHooks) {
  // Files are independent of each other: compare (and write) them concurrently, one round trip deep.
  return Promise.all(
    files.map(async (f) => {
      hooks.onProgress?.({ stepId: step.id, stage: 'file', path: f.path, tail: '' });
      let content = f.content;
      if (f.runtime) {
        const r = substitute(content, runtime);
        if (r.missing.length) throw new InvalidCommandError(`${conn.target.host}: no runtime value for ${[...new Set(r.missing)].map((n) => `{{${n}}}`).join(', ')} in ${f.path}`, conn.target.host);
        content = r.value;
      }
      return { path: f.path, changed: await conn.writeFileIfChanged(f.path, content, f.mode) };
    }),
  );
}

export async function executeStep(
  conn: SshConnection,
  step: PlannedStep,
  runtime: Readonly<Record<string, string>>,
  hooks: StepHooks = {},
): Promise<StepResult> {
  const timeoutSeconds = step.timeoutSeconds ?? DEFAULT_STEP_TIMEOUT_SECONDS;
  const deadline = Date.now() + timeoutSeconds * 1000;
  const host = conn.target.host;
  // Files with runtime values (secrets) exist on the host only while the commands run.
  const lateFiles = step.files.filter((f) => f.runtime);
  const files: StepResult['files'] = await writeFiles(conn, step, step.files.filter((f) => !f.runtime), runtime, hooks);
  const longKeys = step.commands.flatMap((c, i) => (c.long ? [detachedKey(step, i)] : []));
  const longIndexes = step.commands.flatMap((c, i) => (c.long ? [i] : []));

  const hang = (display: string) => new StepHangError(`${host}: hang: ${step.id} (${display}) had not finished after its timeout of ${timeoutSeconds} s; stopped it`, host);

  const runOne = async (stage: 'check' | 'command', index: number | undefined, okExitCodes: number[]) => {
    const cmd = stage === 'check' ? step.check! : step.commands[index!]!;
    const tail = new Tail(PROGRESS_TAIL_CHARS, 40);
    const commandIndex = index;
    const report = (alive?: boolean) => hooks.onProgress?.({ stepId: step.id, stage, commandIndex, tail: tail.text(), ...(alive ? { alive } : {}) });
    let lastOutput = Date.now();
    const onOutput = (_stream: OutputStream, text: string) => {
      lastOutput = Date.now();
      tail.push(text);
      report();
    };
    report();
    if (stage === 'command' && cmd.long) {
      return runDetached(conn, cmd.argv, {
        key: detachedKey(step, index!),
        owner: hooks.owner ?? 'hakube',
        timeoutSeconds,
        runtime,
        okExitCodes,
        onOutput,
        onAlive: () => report(true),
        signal: hooks.signal,
        keepRunningOnAbort: hooks.keepRunningOnAbort,
      });
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw hang(cmd.argv[0] ?? '');
    // A quiet command: the host answering a probe is the progress reported meanwhile.
    let finished = false;
    const probe = setInterval(() => {
      if (Date.now() - lastOutput < PROBE_EVERY_MS) return;
      conn.run(['true'], { timeoutMs: PROBE_EVERY_MS }).then(
        () => finished || report(true),
        () => undefined,
      );
    }, PROBE_EVERY_MS);
    try {
      return await conn.run(cmd.argv, { runtime, okExitCodes, onOutput, signal: hooks.signal, timeoutMs: remaining });
    } catch (err) {
      if (err instanceof SshTimeoutError && Date.now() >= deadline - 1000) throw hang(cmd.argv.join(' ').slice(0, 80));
      throw err;
    } finally {
      finished = true;
      clearInterval(probe);
    }
  };

  let from = 0;
  const busy = await runningIndex(conn, longKeys);
  if (busy >= 0) {
    // A copy from an earlier attempt still runs: follow it instead of asking the check.
    from = longIndexes[busy]!;
  } else if (step.check) {
    // Any exit code is an answer here: 0 means "already done", anything else "do it".
    const everyCode = Array.from({ length: 256 }, (_, i) => i);
    const r = await runOne('check', undefined, everyCode);
    if (r.exitCode === 0) {
      await forgetResults(conn, longKeys);
      if (lateFiles.length) await conn.run(['rm', '-f', '--', ...lateFiles.map((f) => f.path)]);
      return { skipped: true, files, results: [] };
    }
  }

  files.push(...(await writeFiles(conn, step, lateFiles, runtime, hooks)));
  const results: RunResult[] = [];
  try {
    for (let i = from; i < step.commands.length; i++) {
      results.push(await runOne('command', i, step.commands[i]!.okExitCodes ?? [0]));
    }
  } finally {
    // A copy left running for the next attempt (worker shutdown) may not have read them yet.
    const leftRunning = hooks.signal?.aborted === true && hooks.keepRunningOnAbort?.() === true;
    if (lateFiles.length && !leftRunning) await conn.run(['rm', '-f', '--', ...lateFiles.map((f) => f.path)]).catch(() => undefined);
  }
  return { skipped: false, files, results };
}
