/** `hakube plan -f cluster.yaml [--json]`: the runbook for this spec, without touching a host. */
import { Option, type Command } from 'commander';
import { ACTIONS, planJson, planText, type ActionName } from '../plan';
import { actionRef, buildActionPlan } from '../plan/actions';
import { loadSpec } from '../spec/load';

export function register(program: Command): void {
  program
    .command('plan')
    .description('Print the phases, hosts, steps, commands and files an action (deploy by default) runs on this spec (no host is touched)')
    .requiredOption('-f, --file <cluster.yaml>', 'cluster spec')
    .option('--json', 'machine-readable output')
    .option('--content', 'also print the content of every non-secret file')
    .addOption(new Option('--action <action>', 'which action to plan').choices([...ACTIONS]).default('deploy'))
    .option('--wipe-etcd', 'with --action reset: also delete the external etcd data')
    .action(async (opts: { file: string; json?: boolean; content?: boolean; action: ActionName; wipeEtcd?: boolean }) => {
      const plan = buildActionPlan(loadSpec(opts.file), actionRef(opts.action, { wipeEtcd: opts.wipeEtcd }));
      await writeStdout(opts.json ? planJson(plan) : planText(plan, { content: opts.content }));
    });
}

/**
 * Resolves once the text is handed to the OS: the CLI exits right after an action, and a pipe
 * (`hakube plan --json | jq`) would otherwise lose everything past the first 64 KiB.
 */
export function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
}
