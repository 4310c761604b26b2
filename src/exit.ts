/** The CLI's exit-code contract: scripts and CI depend on these numbers. */
export const EXIT = { DONE: 0, FAILED: 1, BAD_INPUT: 2, WAITING: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * An error the operator can act on: printed as one line (or one line per problem), never a
 * stack trace, and mapped to an exit code.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.FAILED,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
