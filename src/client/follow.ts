/**
 * Follows a deploy run by polling its `progress` query: on a TTY the board, fitted to the
 * terminal, is redrawn in place; otherwise only event lines are printed (what changed), which
 * reads well in CI logs.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { EXIT, type ExitCode } from '../exit';
import type { Progress } from '../workflows/defs';
import { queryProgress } from './deploy';
import { withLiveSteps } from './live';
import { diffEvents } from './render';
import { fitBoard, type TermSize } from './board';

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
  const screen = tty ? new LiveScreen(out as NodeJS.WriteStream) : undefined;
  let prev: Progress | undefined;
  try {
    for (;;) {
      let p = await queryProgress(handle);
      if (opts.client && tty) p = await withLiveSteps(opts.client, p);
      if (screen) screen.draw(p);
      else for (const line of diffEvents(prev, p)) out.write(line + '\n');
      prev = p;
      if (isFinal(p) || (opts.stopOnWaiting && p.state === 'waiting')) return p;
      await new Promise((r) => setTimeout(r, interval));
    }
  } finally {
    screen?.close(prev);
  }
}

/**
 * The board on the terminal's alternate screen, as `top` does: each redraw starts at the top
 * left and never scrolls, whatever the size or a resize in between. On the way out the normal
 * screen gets the last board once, so it stays in the scrollback.
 */
class LiveScreen {
  private last: Progress | undefined;
  private readonly onResize = (): void => {
    if (this.last) this.draw(this.last);
  };
  private readonly onInterrupt = (): void => {
    this.restore();
    process.exit(130);
  };

  constructor(private readonly out: NodeJS.WriteStream) {
    out.write('\x1b[?1049h\x1b[?25l');
    out.on('resize', this.onResize);
    process.once('SIGINT', this.onInterrupt);
  }

  private size(): TermSize {
    return { columns: this.out.columns || 80, rows: this.out.rows || 24 };
  }

  draw(p: Progress): void {
    this.last = p;
    const lines = fitBoard(p, this.size(), Date.now());
    this.out.write('\x1b[H' + lines.map((l) => `${l}\x1b[K`).join('\r\n') + '\x1b[J');
  }

  private restore(): void {
    this.out.off('resize', this.onResize);
    process.off('SIGINT', this.onInterrupt);
    this.out.write('\x1b[?25h\x1b[?1049l');
  }

  close(p: Progress | undefined): void {
    this.restore();
    if (p) this.out.write(fitBoard(p, this.size(), Date.now()).join('\n') + '\n');
  }
}
