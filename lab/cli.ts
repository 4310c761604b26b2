/**
 * `hakube lab`: a test bed of real Linux hosts on this machine (network namespaces with their
 * own sshd, /etc and hostname) built from a cluster spec, so a runbook can be tried before it
 * touches real machines. The product never imports this file: the launcher (bin/hakube.js)
 * adds these commands when the checkout has lab/. The lab's modules load when a command runs,
 * so `hakube --help` stays fast.
 */
import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { CliError, EXIT } from '../src/cli/exit';
import type { LabState } from './state';

interface Target {
  file?: string;
  cluster?: string;
}

async function specOf(file: string) {
  const { readLabSpec } = await import('./spec');
  try {
    return readLabSpec(file);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${file}: ${err instanceof Error ? err.message : String(err)}`, EXIT.BAD_INPUT);
  }
}

/** The lab named by -f or --cluster, or the only lab there is. */
async function targetState(t: Target): Promise<LabState> {
  const { listLabs, readState } = await import('./state');
  const name = t.file ? (await specOf(t.file)).name : t.cluster;
  if (name) {
    const s = readState(name);
    if (!s) throw new CliError(`no lab named ${name} is up (run hakube lab up -f CLUSTER.yaml)`, EXIT.BAD_INPUT);
    return s;
  }
  const labs = listLabs();
  if (labs.length === 1) return labs[0];
  if (labs.length === 0) throw new CliError('no lab is up (run hakube lab up -f CLUSTER.yaml)', EXIT.BAD_INPUT);
  throw new CliError(`several labs are up (${labs.map((l) => l.cluster).join(', ')}): choose one with -f or --cluster`, EXIT.BAD_INPUT);
}

async function failOnError<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(err instanceof Error ? err.message : String(err), EXIT.FAILED);
  }
}

export function register(program: Command): void {
  const lab = program.command('lab').description('A test bed of real hosts on this machine (network namespaces with sshd), made from a cluster spec');

  lab
    .command('up')
    .description('Create the hosts of a cluster spec (or start what is missing of them) and prepare SSH to them')
    .requiredOption('-f, --file <cluster.yaml>', 'cluster spec')
    .action(async (o: { file: string }) => {
      const { labUp } = await import('./lifecycle');
      const spec = await specOf(o.file);
      const t0 = Date.now();
      const state = await failOnError(() => labUp(spec, { specPath: o.file }));
      process.stdout.write(`lab ${state.cluster} is up: ${state.hosts.length} hosts on ${state.subnet} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      process.stdout.write(`ssh key ${state.privateKeyPath}, known hosts ${state.knownHostsPath}\n`);
    });

  lab
    .command('status')
    .description('Show the hosts of a lab (or of every lab): address, state, sshd, processes, memory')
    .option('-f, --file <cluster.yaml>', 'cluster spec')
    .option('--cluster <name>', 'lab name (the spec\'s metadata.name)')
    .option('--json', 'machine-readable output')
    .action(async (o: Target & { json?: boolean }) => {
      const { listLabs } = await import('./state');
      const { formatStatus, labStatus } = await import('./status');
      const states = o.file || o.cluster ? [await targetState(o)] : listLabs();
      const all = states.map(labStatus);
      if (o.json) process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
      else process.stdout.write(all.length ? all.map(formatStatus).join('\n') : 'no lab is up\n');
    });

  lab
    .command('down')
    .description('Remove every process, namespace, veth, bridge, mount and file of a lab')
    .option('-f, --file <cluster.yaml>', 'cluster spec')
    .option('--cluster <name>', 'lab name')
    .option('--all', 'every lab on this machine')
    .action(async (o: Target & { all?: boolean }) => {
      const { labDown, labDownAll } = await import('./lifecycle');
      if (o.all) {
        const gone = await failOnError(() => labDownAll());
        process.stdout.write(gone.length ? `removed labs: ${gone.join(', ')}\n` : 'no lab was up\n');
        return;
      }
      const name = o.file ? (await specOf(o.file)).name : o.cluster;
      if (!name) throw new CliError('say which lab: -f CLUSTER.yaml, --cluster NAME or --all', EXIT.BAD_INPUT);
      await failOnError(() => labDown(name));
      process.stdout.write(`lab ${name} is down\n`);
    });

  lab
    .command('ssh <host> [command...]')
    .description('Open a shell (or run a command) on a lab host with the lab key')
    .option('-f, --file <cluster.yaml>', 'cluster spec')
    .option('--cluster <name>', 'lab name')
    .action(async (host: string, command: string[], o: Target) => {
      const { sshArgs } = await import('./access');
      const state = await targetState(o);
      const tty = command.length === 0 && process.stdin.isTTY ? ['-t'] : [];
      let args: string[];
      try {
        args = sshArgs(state, host, tty);
      } catch (err) {
        throw new CliError(err instanceof Error ? err.message : String(err), EXIT.BAD_INPUT);
      }
      const r = spawnSync('ssh', command.length ? [...args, command.join(' ')] : args, { stdio: 'inherit' });
      process.exitCode = r.status ?? EXIT.FAILED;
    });

  lab
    .command('fault <host> <kind> [args...]')
    .description('Inject a fault into a lab host')
    // Help text is built synchronously, hence require: only `lab fault --help` loads the faults.
    .addHelpText('after', () => `\nKinds:\n  ${(require('./faults') as typeof import('./faults')).faultKinds().join('\n  ')}\n`)
    .option('-f, --file <cluster.yaml>', 'cluster spec')
    .option('--cluster <name>', 'lab name')
    .allowUnknownOption()
    .action(async (host: string, kind: string, args: string[], o: Target) => {
      const { faultHandler, faultKinds, runFault } = await import('./faults');
      if (!faultHandler(kind)) throw new CliError(`unknown fault kind ${kind}; kinds:\n  ${faultKinds().join('\n  ')}`, EXIT.BAD_INPUT);
      const state = await targetState(o);
      const out = await failOnError(() => runFault(state, host, kind, args));
      if (out) process.stdout.write(out.endsWith('\n') ? out : `${out}\n`);
    });
}
