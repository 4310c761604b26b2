/** `hakube status <cluster> [--watch] [--json] [--wide] [--host H]`: where a deploy is, per phase and host. */
import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../temporal/connection-flags';
import { renderBoard } from '../client/render';
import { fitBoard } from '../client/board';
import { renderHost, renderWide } from '../client/detail';
import type { Progress } from '../workflows/defs';
import { CliError, EXIT } from './exit';

interface StatusFlags extends ConnectionFlags {
  watch?: boolean;
  json?: boolean;
  wide?: boolean;
  host?: string;
}

/** The one-shot view: the board fitted to a terminal, the compact board for pipes, or full detail. */
function render(p: Progress, flags: StatusFlags): string {
  const now = Date.now();
  if (flags.host) {
    const lines = renderHost(p, flags.host, now);
    if (!lines) throw new CliError(`${flags.host} has no work in ${p.cluster}'s plan`, EXIT.BAD_INPUT);
    return lines.join('\n');
  }
  if (flags.wide) return renderWide(p, now).join('\n');
  const out = process.stdout;
  return out.isTTY ? fitBoard(p, { columns: out.columns || 80, rows: out.rows || 24 }, now).join('\n') : renderBoard(p);
}

export function register(program: Command): void {
  const cmd = program
    .command('status')
    .description("show a cluster deploy's progress per phase, host and step (exit 3 when it waits for the operator)")
    .argument('<cluster>', 'cluster name (metadata.name)')
    .option('--watch', 'keep following until the run ends')
    .option('--json', 'the full progress record as JSON')
    .option('--wide', 'every host of every phase on its own line, with its step or last error')
    .option('--host <host>', "one host's detail: each phase and step, attempts, errors, output tails");
  addConnectionOptions(cmd).action(async (cluster: string, flags: StatusFlags) => {
    const { connectClient } = await import('../temporal/connection');
    const { describeDeploy, queryHost, queryProgress, queryProgressAnswer, webUiLink } = await import('../client/deploy');
    const { withHostDetail } = await import('../client/progress');
    const { exitCodeFor, follow } = await import('../client/follow');
    const { closedRunSummary, finalProgress, readEnding } = await import('../client/closed');
    const { closedQueryWaitMs, workerPolling } = await import('../client/pollers');
    const { progressFromHistory } = await import('../client/history-progress');
    const { hostDetail } = await import('../workflows/state');
    const { withLiveSteps } = await import('../client/live');
    const { renderSummary } = await import('../client/summary');
    const { saveKubeconfig, withKubeconfig } = await import('../client/kubeconfig');
    const client = await connectClient(flags);
    try {
      const desc = await describeDeploy(client, cluster);
      const handle = client.workflow.getHandle(desc.workflowId);
      const link = webUiLink(handle.workflowId, client.options.namespace);
      // A finished run: its result carries the final progress (runs recorded before that need a
      // worker's replay, asked only when one polls the run's task queue, else the result's summary).
      let ended: Awaited<ReturnType<typeof queryProgressAnswer>> | undefined;
      if (desc.status.name !== 'RUNNING') {
        const ending = await readEnding(handle);
        ended = finalProgress(ending);
        if (!ended) {
          const polled = await workerPolling(client, desc.taskQueue).catch(() => false);
          const answered = polled ? await queryProgressAnswer(handle, closedQueryWaitMs(desc.historySize)).catch(() => undefined) : undefined;
          if (answered) {
            const file = 'result' in ending ? saveKubeconfig(answered.progress.cluster, ending.result.kubeconfig) : undefined;
            ended = { ...answered, progress: file ? { ...answered.progress, kubeconfig: file } : await withKubeconfig(handle, answered.progress) };
          } else if (!flags.json) {
            const closed = closedRunSummary(ending, desc.status.name);
            process.stdout.write(`${closed.text}\nWeb UI: ${link}\n`);
            process.exitCode = closed.exitCode;
            return;
          }
        }
      }
      if (flags.json) {
        const p = ended?.progress ?? (await withLiveSteps(client, await queryProgress(handle)));
        process.stdout.write(JSON.stringify(p, null, 2) + '\n');
        process.exitCode = exitCodeFor(p);
        return;
      }
      const detail = flags.wide || flags.host !== undefined;
      // The progress answer leaves a quiet host's output tails out; --host asks for them (of a
      // finished run, from the histories: no worker needed).
      const current = async () => {
        if (ended) {
          const host = flags.host;
          if (host === undefined || !ended.summarized.includes(host)) return ended.progress;
          return withHostDetail(ended.progress, hostDetail(await progressFromHistory(client, handle, { hosts: [host] }), host));
        }
        const p = await queryProgress(handle);
        return withKubeconfig(handle, await withLiveSteps(client, flags.host === undefined ? p : withHostDetail(p, await queryHost(handle, flags.host))));
      };
      const p = flags.watch && !detail && !ended ? await withKubeconfig(handle, await follow(handle, { client })) : await current();
      if (!flags.watch || detail || ended) process.stdout.write(render(p, flags) + '\n');
      process.stdout.write(renderSummary(p, link) + '\n');
      process.exitCode = exitCodeFor(p);
    } finally {
      await client.connection.close();
    }
  });
}
