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
