/** `hakube plan -f cluster.yaml [--json]`: the runbook for this spec, without touching a host. */
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('plan')
    .description('Print the phases, hosts, steps, commands and files a deploy of this spec runs (no host is touched)')
    .requiredOption('-f, --file <cluster.yaml>', 'cluster spec')
    .option('--json', 'machine-readable output')
    .option('--content', 'also print the content of every non-secret file')
    .option('--hosts', 'every host with its own steps (by default hosts that run the same steps are shown once, as w1-w100)')
    .action(async (opts: { file: string; json?: boolean; content?: boolean; hosts?: boolean }) => {
      const { buildPlan, planJson, planText } = await import('../plan');
      const { loadSpec } = await import('../spec/load');
      const spec = loadSpec(opts.file);
      const plan = buildPlan(spec);
      const addresses = Object.fromEntries(spec.spec.hosts.map((h) => [h.name, h.address]));
      await writeStdout(opts.json ? planJson(plan) : planText(plan, { content: opts.content, hosts: opts.hosts, addresses }));
    });
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
