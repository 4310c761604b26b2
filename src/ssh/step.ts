/**
 * Runs one plan step on its host: files, then the check, then the commands. Activities call this
 * and heartbeat from the hooks; the step is idempotent because files are written only when they
 * differ and a passing check skips the commands.
 */
import type { PlannedStep } from '../plan/types';
import type { SshConnection, OutputStream, RunResult } from './connection';
import { Tail } from './mask';

export interface StepProgress {
  stepId: string;
  stage: 'file' | 'check' | 'command';
  /** Index into step.commands (stage 'command'). */
  commandIndex?: number;
  /** Path written or compared (stage 'file'). */
  path?: string;
  /** The last lines of the current command's output, stdout and stderr interleaved, masked. */
  tail: string;
}

export interface StepHooks {
  onProgress?: (p: StepProgress) => void;
  signal?: AbortSignal;
}

export interface StepResult {
  /** True when the check passed and the commands were not run. */
  skipped: boolean;
  files: Array<{ path: string; changed: boolean }>;
  /** One per command run (empty when skipped). */
  results: RunResult[];
}

const PROGRESS_TAIL_CHARS = 4096;

export async function executeStep(
  conn: SshConnection,
  step: PlannedStep,
  runtime: Readonly<Record<string, string>>,
  hooks: StepHooks = {},
): Promise<StepResult> {
  // Files are independent of each other: compare (and write) them concurrently, one round trip deep.
  const files: StepResult['files'] = await Promise.all(
    step.files.map(async (f) => {
      hooks.onProgress?.({ stepId: step.id, stage: 'file', path: f.path, tail: '' });
      return { path: f.path, changed: await conn.writeFileIfChanged(f.path, f.content, f.mode) };
    }),
  );

  const runOne = async (stage: 'check' | 'command', argv: string[], okExitCodes: number[], commandIndex?: number) => {
    const tail = new Tail(PROGRESS_TAIL_CHARS, 40);
    const onOutput = (_stream: OutputStream, text: string) => {
      tail.push(text);
      hooks.onProgress?.({ stepId: step.id, stage, commandIndex, tail: tail.text() });
    };
    hooks.onProgress?.({ stepId: step.id, stage, commandIndex, tail: '' });
    return conn.run(argv, { runtime, okExitCodes, onOutput, signal: hooks.signal });
  };

  if (step.check) {
    // Any exit code is an answer here: 0 means "already done", anything else "do it".
    const everyCode = Array.from({ length: 256 }, (_, i) => i);
    const r = await runOne('check', step.check.argv, everyCode);
    if (r.exitCode === 0) return { skipped: true, files, results: [] };
  }

  const results: RunResult[] = [];
  for (const [i, cmd] of step.commands.entries()) {
    results.push(await runOne('command', cmd.argv, cmd.okExitCodes ?? [0], i));
  }
  return { skipped: false, files, results };
}
