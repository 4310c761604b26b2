/**
 * `hakube doctor [-f cluster.yaml]`: the operator's side before a deploy, each problem with its
 * fix. Exit 0 when ready, 2 when something is to be fixed. Checks that need the server are
 * skipped (and say so) when it cannot be reached.
 */
import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../temporal/connection-flags';
import type { CheckResult } from '../client/doctor/check';
import { CliError, EXIT } from './exit';

interface DoctorFlags extends ConnectionFlags {
  file?: string;
}

export function renderChecks(results: CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = results.flatMap((r) => [
    `${r.ok ? 'ok ' : 'FIX'}  ${r.name.padEnd(width)}  ${r.detail}`,
    ...(r.fix ? [`${' '.repeat(width + 7)}fix: ${r.fix}`] : []),
  ]);
  const problems = results.filter((r) => !r.ok).length;
  lines.push(problems === 0 ? 'ready to deploy' : `${problems} ${problems === 1 ? 'problem' : 'problems'} to fix`);
  return `${lines.join('\n')}\n`;
}

export function register(program: Command): void {
  const cmd = program
    .command('doctor')
    .description("check this machine before a deploy: server and namespace, search attributes, codec key, SSH key, known_hosts (exit 0 ready, 2 to fix)")
    .option('-f, --file <cluster.yaml>', "also check the spec's SSH key and every host's known_hosts entry");
  addConnectionOptions(cmd).action(async (flags: DoctorFlags) => {
    const { connectClient, resolveConnection } = await import('../temporal/connection');
    const { codecCheck, searchAttributesCheck } = await import('../client/doctor/server');
    const { ok, problem } = await import('../client/doctor/check');
    const spec = flags.file ? (await import('../spec/load')).loadSpec(flags.file) : undefined;

    const results: CheckResult[] = [];
    let client;
    try {
      // No data converter: connecting must not create a codec key; the codec check finds its own.
      client = await connectClient({ ...flags, dataConverter: {} });
      const { address, namespace } = resolveConnection(flags);
      results.push(ok('server', `Temporal at ${address} answers, namespace ${namespace}`));
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      const [what, fix] = err.message.split(/: (?=start it|create it|check)/);
      results.push(problem('server', what, fix ?? 'check --address, --namespace and the TLS / API key flags'));
    }
    try {
      if (client) results.push(await searchAttributesCheck(client));
      else results.push(problem('search attributes', 'not checked: no server', 'fix the server first'));
      results.push(await codecCheck(client, process.env));
      if (spec) {
        const { knownHostsCheck, sshKeyCheck } = await import('../client/doctor/ssh');
        results.push(sshKeyCheck(spec), knownHostsCheck(spec));
      }
    } finally {
      await client?.connection.close();
    }
    process.stdout.write(renderChecks(results));
    if (!spec) process.stdout.write('(pass -f cluster.yaml to check the SSH key and known_hosts too)\n');
    process.exitCode = results.every((r) => r.ok) ? EXIT.DONE : EXIT.BAD_INPUT;
  });
}
