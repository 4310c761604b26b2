/**
 * Typed SSH failures. Activities turn them into Temporal failures (see ./failure.ts): `type` is the
 * stable name workflows and the CLI match on, `retryable` says whether another attempt can help.
 * Messages never contain secret values: everything that reaches them went through the masker.
 */
export abstract class SshError extends Error {
  abstract readonly type: string;
  abstract readonly retryable: boolean;
  constructor(
    message: string,
    /** The inventory name of the host, so one line says where it happened. */
    readonly host: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** TCP connect failed or the connection dropped: the host may be booting or the network flapping. */
export class SshUnreachableError extends SshError {
  readonly type = 'SshUnreachableError';
  readonly retryable = true;
}

/** The server refused our key: retrying with the same key cannot succeed. */
export class SshAuthError extends SshError {
  readonly type = 'SshAuthError';
  readonly retryable = false;
}

/** The host presented a key that contradicts known_hosts or the pinned fingerprint (or a revoked one). */
export class HostKeyMismatchError extends SshError {
  readonly type = 'HostKeyMismatchError';
  readonly retryable = false;
}

/** Nothing vouches for the host's key: we never trust on first use. */
export class HostKeyUnknownError extends SshError {
  readonly type = 'HostKeyUnknownError';
  readonly retryable = false;
}

/** The SSH handshake failed for a reason other than the above (no common algorithm, protocol error). */
export class SshHandshakeError extends SshError {
  readonly type = 'SshHandshakeError';
  readonly retryable = false;
}

/** The handshake or a command took longer than allowed. */
export class SshTimeoutError extends SshError {
  readonly type = 'SshTimeoutError';
  readonly retryable = true;
}

/**
 * A step did not finish within its planned timeout (PlannedStep.timeoutSeconds): the command was
 * stopped on the host. Retryable like a failure; named apart so `status` says "hang".
 */
export class StepHangError extends SshError {
  readonly type = 'StepHang';
  readonly retryable = true;
}

/**
 * A detached command's copy vanished from its host without leaving an exit status (the host
 * rebooted, or it was killed): nothing runs any more, so a retry may start it again.
 */
export class CommandLostError extends SshError {
  readonly type = 'CommandLost';
  readonly retryable = true;
}

/** The caller aborted a running command (activity cancelled); the remote command was ended too. */
export class CommandAbortedError extends SshError {
  readonly type = 'CommandAbortedError';
  readonly retryable = false;
}

/**
 * The SSH user may not run commands as root without a password (`sudo -n` refused, or no sudo):
 * the host's sudoers must change, a retry cannot help.
 */
export class SudoRefusedError extends SshError {
  readonly type = 'SudoRefusedError';
  readonly retryable = false;
}

/** A command or file is malformed (bad env name, unknown `{{placeholder}}`, bad mode): a plan bug. */
export class InvalidCommandError extends SshError {
  readonly type = 'InvalidCommandError';
  readonly retryable = false;
}

/**
 * The command ran and exited with a code outside its okExitCodes. Retryable by default: plan steps
 * are idempotent and many failures are transient (apt lock, image pull).
 */
export class CommandFailedError extends SshError {
  readonly type = 'CommandFailedError';
  readonly retryable: boolean;
  constructor(
    host: string,
    readonly exitCode: number | null,
    /** The remote signal name when the command was killed (exitCode is then null). */
    readonly exitSignal: string | undefined,
    /** Shell-quoted argv with secrets masked. */
    readonly argvDisplay: string,
    readonly stderrTail: string,
    readonly stdoutTail: string,
    retryable = true,
  ) {
    const how = exitCode === null ? `was killed by signal ${exitSignal ?? '?'}` : `exited ${exitCode}`;
    const last = lastLine(stderrTail) || lastLine(stdoutTail);
    super(`${host}: ${argvDisplay} ${how}${last ? `: ${last}` : ''}`, host);
    this.retryable = retryable;
  }
}

/**
 * kubeadm ends every failure with the same advice lines; the error is the line before them
 * ("error execution phase ...", or a preflight check's "[ERROR ...]").
 */
const TRAILER = [/^To see the stack trace of this error execute with --v=5 or higher$/, /^\[preflight\] If you know what you are doing, you can make a check non-fatal with/];

function lastLine(text: string): string {
  const lines = text.trimEnd().split('\n').map((l) => l.trim());
  while (lines.length > 1 && TRAILER.some((t) => t.test(lines[lines.length - 1]))) lines.pop();
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}
