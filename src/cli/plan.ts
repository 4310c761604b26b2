/** `hakube plan -f cluster.yaml [--json]`: the runbook for this spec, without touching a host. */
import { Option, type Command } from 'commander';
import { ACTIONS, type ActionName } from '../plan/types';
import { addConnectionOptions, type ConnectionFlags } from '../temporal/connection-flags';
import type { Cluster } from '../spec/types';

interface PlanFlags extends ConnectionFlags {
  file: string;
  json?: boolean;
  content?: boolean;
  hosts?: boolean;
  action: ActionName;
  wipeEtcd?: boolean;
}

async function applyPreview(spec: Cluster, flags: ConnectionFlags) {
  const { connectClient } = await import('../temporal/connection');
  const { previewApply } = await import('../client/apply');
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
    .option('--hosts', 'every host with its own steps (by default hosts that run the same steps are shown once, as w1-w100)')
    .addOption(new Option('--action <action>', 'which action to plan').choices([...ACTIONS]).default('deploy'))
    .option('--wipe-etcd', 'with --action reset: also delete the external etcd data')
    .action(async (opts: PlanFlags) => {
      const { planJson, planText } = await import('../plan');
      const { actionRef, buildActionPlan } = await import('../plan/actions');
      const { loadSpec } = await import('../spec/load');
      const spec = loadSpec(opts.file);
      // apply's plan is the difference against the last applied spec, which Temporal holds.
      const preview = opts.action === 'apply' ? await applyPreview(spec, opts) : undefined;
      if (preview && !preview.plan) (await import('../client/apply')).assertApplicable(preview);
      const plan = preview?.plan ?? buildActionPlan(spec, actionRef(opts.action === 'reset' ? 'reset' : 'deploy', { wipeEtcd: opts.wipeEtcd }));
      const addresses = Object.fromEntries(spec.spec.hosts.map((h) => [h.name, h.address]));
      const text = planText(plan, { content: opts.content, hosts: opts.hosts, addresses });
      await writeStdout(opts.json ? planJson(plan) : `${preview ? preview.text + '\n' : ''}${text}`);
    });
  addConnectionOptions(cmd);
}

/**
 * Resolves once the text is handed to the OS: the CLI exits right after an action, and a pipe
 * (`hakube plan --json | jq`) would otherwise lose everything past the first 64 KiB.
 */
export function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) =>
    process.stdout.write(text, (err) => {
      // A reader gone away: the stream's 'error' handler (endQuietlyOnClosedPipe) ends the process.
      if ((err as NodeJS.ErrnoException | null | undefined)?.code === 'EPIPE') return;
      if (err) reject(err);
      else resolve();
    }),
  );
}
