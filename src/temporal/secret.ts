/**
 * Secrets travel through workflows wrapped as `{ __hakubeSecret: value }`. The payload codec
 * encrypts any payload containing this marker, so bootstrap tokens and certificate keys never
 * reach the server's history in plain text while phase names and summaries stay readable.
 *
 * Workflow code imports this module: keep it free of Node built-ins and I/O.
 */
export const SECRET_MARKER = '__hakubeSecret';

export interface Secret<T = string> {
  readonly [SECRET_MARKER]: T;
}

export function secret<T = string>(value: T): Secret<T> {
  return { [SECRET_MARKER]: value };
}

export function isSecret(value: unknown): value is Secret<unknown> {
  return typeof value === 'object' && value !== null && SECRET_MARKER in value;
}

/** Unwraps a secret; plain values pass through so callers can accept either. */
export function reveal<T>(value: Secret<T> | T): T {
  return isSecret(value) ? (value[SECRET_MARKER] as T) : value;
}

/** For logs and summaries: never the value, only that there is one. */
export function mask(value: unknown): string {
  return isSecret(value) ? '<secret>' : String(value);
}
