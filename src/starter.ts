/**
 * The `hakube` command line. Each command group lives in its own file under src/cli/ and
 * registers itself here; this file only wires them up and turns errors into exit codes.
 */
import { Command, CommanderError } from 'commander';
import { CliError, EXIT } from './cli/exit';
import { registerCommands } from './cli/commands';

export function buildProgram(): Command {
  const program = new Command('hakube')
    .description('Resumable, inspectable, compensating HA Kubernetes runbooks (kubeadm over SSH on Temporal)')
    .showHelpAfterError('(run hakube --help for usage)')
    .exitOverride();
  registerCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.DONE;
  } catch (err) {
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

if (require.main === module || process.argv[1]?.endsWith('hakube.js')) {
  // Exit only once stdout and stderr have drained: a piped `hakube ... --json | jq` must get
  // every byte, and process.exit() does not wait for a slow pipe.
  main(process.argv).then((code) => {
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  });
}
