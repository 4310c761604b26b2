/** `hakube logs <cluster> [--host H] [--step S]`: the masked output tails of each step. */
import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../temporal/connection-flags';
import type { Progress } from '../workflows/defs';
import { CliError, EXIT } from './exit';

interface LogsFlags extends ConnectionFlags {
  host?: string;
  step?: string;
}

type Detail = Awaited<ReturnType<typeof import('../client/deploy').queryHost>>;

/** Folds each host's full detail (the `host` query) in, a few queries at a time. */
async function withTails(p: Progress, hosts: string[], ask: (host: string) => Promise<Detail>, fold: (p: Progress, d: Detail) => Progress): Promise<Progress> {
  let out = p;
  for (let i = 0; i < hosts.length; i += 8) {
    const got = await Promise.all(hosts.slice(i, i + 8).map(ask));
    for (const d of got) out = fold(out, d);
  }
  return out;
}

export function register(program: Command): void {
  const cmd = program
    .command('logs')
    .description("print the stdout/stderr tails of a deploy's steps (secrets masked)")
    .argument('<cluster>', 'cluster name')
    .option('--host <host>', 'only this host')
    .option('--step <id-or-text>', 'only steps whose id or title contains this');
  addConnectionOptions(cmd).action(async (cluster: string, flags: LogsFlags) => {
    const { connectClient } = await import('../temporal/connection');
    const { describeDeploy, queryHost, queryProgressAnswer } = await import('../client/deploy');
    const { withHostDetail } = await import('../client/progress');
    const { progressFromHistory } = await import('../client/history-progress');
    const client = await connectClient(flags);
    try {
      const desc = await describeDeploy(client, cluster);
      const handle = client.workflow.getHandle(desc.workflowId);
      // A finished run's logs are in its history: no worker needed. A running one is asked
      // first (the query also knows what was learned since), its history if no worker answers.
      const p =
        desc.status.name !== 'RUNNING'
          ? await progressFromHistory(client, handle, { hosts: flags.host ? [flags.host] : undefined })
          : await queryProgressAnswer(handle).then(async (q) => withTails(q.progress, flags.host ? [flags.host] : q.summarized, (h) => queryHost(handle, h), withHostDetail)).catch(async () => {
              process.stderr.write('hakube: no worker answers the progress query; showing what the history records\n');
              return progressFromHistory(client, handle);
            });
      const known = new Set(p.phases.flatMap((ph) => ph.hosts.map((h) => h.host)));
      if (flags.host && !known.has(flags.host)) {
        throw new CliError(`no host ${flags.host} in ${cluster} (hosts: ${[...known].join(', ')})`, EXIT.BAD_INPUT);
      }
      let printed = 0;
      for (const ph of p.phases) {
        for (const h of ph.hosts) {
          if (flags.host && h.host !== flags.host) continue;
          for (const s of h.steps) {
            if (flags.step && !s.id.includes(flags.step) && !s.title.includes(flags.step)) continue;
            if (s.status === 'pending' && !flags.step) continue;
            printed++;
            const attempts = s.attempts > 0 ? `, ${s.attempts} attempt${s.attempts > 1 ? 's' : ''}` : '';
            process.stdout.write(`=== ${s.id}  ${s.title}  [${s.status}${attempts}]\n`);
            if (s.lastError) process.stdout.write(`error: ${s.lastError}\n`);
            if (s.tail) process.stdout.write(s.tail.endsWith('\n') ? s.tail : `${s.tail}\n`);
          }
        }
      }
      if (printed === 0) process.stdout.write('no step output yet\n');
    } finally {
      await client.connection.close();
    }
  });
}
