/**
 * Follows a deploy run by polling its `progress` query: on a TTY the board is redrawn in place,
 * otherwise only event lines are printed (what changed), which reads well in CI logs.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { EXIT, type ExitCode } from '../cli/exit';
import type { Progress } from '../workflows/defs';
import { queryProgress } from './deploy';
import { withLiveSteps } from './live';
import { diffEvents, renderBoard } from './render';

export interface FollowOptions {
  out?: NodeJS.WriteStream | NodeJS.WritableStream;
  tty?: boolean;
  /** Return as soon as the run waits for the operator (deploy); `status --watch` keeps watching. */
  stopOnWaiting?: boolean;
  intervalMs?: number;
  /** Adds the running steps from activity heartbeats (one describe per running workflow). */
  client?: Client;
}

export const isFinal = (p: Progress): boolean => p.state === 'done' || p.state === 'aborted' || p.state === 'failed';

export function exitCodeFor(p: Progress): ExitCode {
  if (p.state === 'done') return EXIT.DONE;
  if (p.state === 'waiting') return EXIT.WAITING;
  if (p.state === 'running') return EXIT.DONE;
  return EXIT.FAILED;
}

export async function follow(handle: WorkflowHandle, opts: FollowOptions = {}): Promise<Progress> {
  const out = opts.out ?? process.stdout;
  const tty = opts.tty ?? Boolean((out as NodeJS.WriteStream).isTTY);
  const interval = opts.intervalMs ?? 1000;
  let prev: Progress | undefined;
  let drawn = 0;
  for (;;) {
    let p = await queryProgress(handle);
    if (opts.client && tty) p = await withLiveSteps(opts.client, p);
    if (tty) {
      const board = renderBoard(p);
      // Move up over the last board and clear to the end of the screen before redrawing.
      if (drawn > 0) out.write(`\x1b[${drawn}A\x1b[0J`);
      out.write(board + '\n');
      drawn = board.split('\n').length;
    } else {
      for (const line of diffEvents(prev, p)) out.write(line + '\n');
    }
    prev = p;
    if (isFinal(p) || (opts.stopOnWaiting && p.state === 'waiting')) return p;
    await new Promise((r) => setTimeout(r, interval));
  }
}
