/**
 * The `hakube` command line. Each command group lives in its own file under src/cli/ and
 * registers itself here; this file only wires them up and turns errors into exit codes.
 * bin/hakube.js (the launcher) calls `run`; groups from beside the product (the lab's commands
 * in a checkout) come in as `extra`, so nothing here imports them.
 */
import { Command, CommanderError } from 'commander';
import { CliError, EXIT } from './exit';
import { registerCommands, type CommandGroup } from './cli/commands';

export type { CommandGroup } from './cli/commands';

export function buildProgram(extra: CommandGroup[] = []): Command {
  const program = new Command('hakube')
    .description('Resumable, inspectable, compensating HA Kubernetes runbooks (kubeadm over SSH on Temporal)')
    .showHelpAfterError('(run hakube --help for usage)')
    .exitOverride();
  registerCommands(program, extra);
  return program;
}

export async function main(argv: string[], extra: CommandGroup[] = []): Promise<number> {
  const program = buildProgram(extra);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.DONE;
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code === 'EPIPE') return EXIT.DONE;
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.DONE;
      return EXIT.BAD_INPUT;
    }
    if (err instanceof CliError) {
      process.stderr.write(`hakube: ${err.message}\n`);
      return err.exitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`hakube: ${message}\n`);
    if (process.env.HAKUBE_DEBUG) console.error(err);
    return EXIT.FAILED;
  }
}

/**
 * A reader that goes away (`hakube plan | head`, `hakube list | grep -q x`) ends the command
 * quietly, as SIGPIPE ends a C tool, instead of an unhandled EPIPE and a stack trace. Exit 0,
 * not 141: under `set -o pipefail` a `grep -q` that found its line must not fail the pipeline.
 */
export function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(EXIT.DONE);
      throw err;
    });
  }
}

/** The process entry: runs the CLI, then exits with its code once stdout and stderr drained. */
export function run(argv: string[], extra: CommandGroup[] = []): void {
  endQuietlyOnClosedPipe();
  // process.exit() does not wait for a slow pipe: a piped `hakube ... --json | jq` must get every byte.
  void main(argv, extra).then((code) => {
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  });
}
