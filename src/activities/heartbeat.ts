/** Keeps an activity heartbeating while a command is quiet, so only a real hang trips the timeout. */
import { Context } from '@temporalio/activity';

export const HEARTBEAT_EVERY_MS = 5_000;

/** For activities without resume details: a plain beat every few seconds until `fn` settles. */
export async function heartbeating<T>(fn: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

export interface ProgressBeat {
  /** Progress happened: heartbeat, at most once per second (output can arrive line by line). */
  (): void;
  /** Heartbeat at once (a step started or ended: the details must reach the server). */
  now(): void;
  /** Send a held-back beat, if any, and stop. */
  stop(): void;
}

/** Heartbeats driven by progress events, coalesced so a chatty command does not flood the server. */
export function progressBeat(send: () => void, minGapMs = 1_000): ProgressBeat {
  let last = 0;
  let held: NodeJS.Timeout | undefined;
  const now = () => {
    clearTimeout(held);
    held = undefined;
    last = Date.now();
    send();
  };
  const beat = (() => {
    if (Date.now() - last >= minGapMs) return now();
    held ??= setTimeout(now, minGapMs - (Date.now() - last));
  }) as ProgressBeat;
  beat.now = now;
  beat.stop = () => {
    if (held) now();
    clearTimeout(held);
  };
  return beat;
}
