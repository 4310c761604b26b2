/** The CLI's exit codes and its one-line errors live in src/exit.ts, below every layer that raises them. */
export { CliError, EXIT, type ExitCode } from '../exit';
