/** `hakube plan -f cluster.yaml [--json]`: the runbook for this spec, without touching a host. */
import { Option, type Command } from 'commander';
import { ACTIONS, planJson, planText, type ActionName } from '../plan';
import { actionRef, buildActionPlan } from '../plan/actions';
import { assertApplicable, previewApply } from '../client/apply';
import { addConnectionOptions, connectClient, type ConnectionFlags } from '../temporal/connection';
import type { Cluster } from '../spec/types';
import { loadSpec } from '../spec/load';

interface PlanFlags extends ConnectionFlags {
  file: string;
  json?: boolean;
  content?: boolean;
  action: ActionName;
  wipeEtcd?: boolean;
}

async function applyPreview(spec: Cluster, flags: ConnectionFlags) {
  const client = await connectClient(flags);
  try {
    return await previewApply(client, spec);
  } finally {
    await client.connection.close();
  }
}

export function register(program: Command): void {
  const cmd = program
    .command('plan')
    .description('Print the phases, hosts, steps, commands and files an action (deploy by default) runs on this spec (no host is touched)')
    .requiredOption('-f, --file <cluster.yaml>', 'cluster spec')
    .option('--json', 'machine-readable output')
    .option('--content', 'also print the content of every non-secret file')
    .addOption(new Option('--action <action>', 'which action to plan').choices([...ACTIONS]).default('deploy'))
    .option('--wipe-etcd', 'with --action reset: also delete the external etcd data')
    .action(async (opts: PlanFlags) => {
      const spec = loadSpec(opts.file);
      // apply's plan is the difference against the last applied spec, which Temporal holds.
      const preview = opts.action === 'apply' ? await applyPreview(spec, opts) : undefined;
      if (preview && !preview.plan) assertApplicable(preview);
      const plan = preview?.plan ?? buildActionPlan(spec, actionRef(opts.action === 'reset' ? 'reset' : 'deploy', { wipeEtcd: opts.wipeEtcd }));
      await writeStdout(opts.json ? planJson(plan) : `${preview ? preview.text + '\n' : ''}${planText(plan, { content: opts.content })}`);
    });
  addConnectionOptions(cmd);
}

/**
 * Resolves once the text is handed to the OS: the CLI exits right after an action, and a pipe
 * (`hakube plan --json | jq`) would otherwise lose everything past the first 64 KiB.
 */
export function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
}
