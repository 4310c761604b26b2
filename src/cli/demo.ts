/**
 * `hakube demo` (`npm run demo`): the whole story on this machine. Starts what is missing (the
 * Temporal dev server, a worker, a lab for examples/ha-vip.yaml), deploys, prints the
 * verification and the Web UI link, and leaves it up; `--down` then takes down what it started.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { Command } from 'commander';
import { PROJECT_ROOT } from '../temporal/paths';
import { CliError, EXIT } from './exit';

const DEFAULT_SPEC = path.join(PROJECT_ROOT, 'examples', 'ha-vip.yaml');
const HAKUBE = [path.join(PROJECT_ROOT, 'bin', 'hakube.js')];

function say(line: string): void {
  process.stdout.write(`demo: ${line}\n`);
}

function hakube(args: string[]): void {
  const r = spawnSync(process.execPath, [...HAKUBE, ...args], { stdio: 'inherit', cwd: PROJECT_ROOT });
  if (r.status !== 0) throw new CliError(`hakube ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('start a dev server, a worker and a lab, deploy examples/ha-vip.yaml and show the result (--down tears it all down)')
    .option('-f, --file <cluster.yaml>', 'cluster spec to deploy', DEFAULT_SPEC)
    .option('--down', 'after the deploy, take down the lab and the worker and server this demo started')
    .action(async (flags: { file: string; down?: boolean }) => {
      const { connectClient } = await import('../temporal/connection');
      const { address, answers, devServerConfig, ensureDevServer, stopBackground, uiUrl } = await import('../temporal/devserver');
      const { loadSpec } = await import('../spec/load');
      const { startDeploy, webUiLink } = await import('../client/deploy');
      const { exitCodeFor, follow } = await import('../client/follow');
      const { renderSummary } = await import('../client/summary');
      const { withKubeconfig } = await import('../client/kubeconfig');
      const { startBackgroundWorker, stopBackgroundWorker, workerLogFile } = await import('../client/background-worker');
      const { startCodecBackground, stopCodecBackground } = await import('../temporal/codec-service');
      const spec = loadSpec(flags.file);
      const cluster = spec.metadata.name;
      // The spec's relative key paths are relative to the project root, as the lab writes them.
      process.chdir(PROJECT_ROOT);
      const cfg = devServerConfig();
      const serverWasUp = await answers(address(cfg));
      await ensureDevServer();
      say(serverWasUp ? `using the Temporal server at ${cfg.ip}:${cfg.port}` : `started the Temporal dev server (Web UI ${uiUrl(cfg)})`);
      const codec = await startCodecBackground(cfg);
      if (codec.started) say(`started the Web UI's codec server (pid ${codec.pid}): payloads readable, secrets hidden`);
      const worker = await startBackgroundWorker();
      say(worker.started ? `started a worker (pid ${worker.pid}, log ${workerLogFile()})` : `using the running worker (pid ${worker.pid})`);
      say(`bringing up the lab for ${cluster}`);
      hakube(['lab', 'up', '-f', flags.file]);

      const client = await connectClient();
      let exit: number = EXIT.FAILED;
      try {
        const handle = await startDeploy(client, spec);
        const link = webUiLink(handle.workflowId, client.options.namespace);
        say(`deploying ${cluster}: ${link}`);
        const p = await withKubeconfig(handle, await follow(handle, { stopOnWaiting: true }));
        process.stdout.write(renderSummary(p, link) + '\n');
        exit = exitCodeFor(p);
      } finally {
        await client.connection.close();
      }

      if (flags.down) {
        say('taking everything down');
        hakube(['lab', 'down', '-f', flags.file]);
        if (worker.started) await stopBackgroundWorker(worker.pid);
        if (codec.started) await stopCodecBackground(cfg);
        if (!serverWasUp) await stopBackground(cfg);
        say('done: lab removed, worker and server this demo started stopped');
      } else {
        say('left running for you to explore:');
        say(`  Web UI            ${uiUrl(cfg)}`);
        say(`  progress          npx hakube status ${cluster}`);
        say(`  a node            npx hakube lab ssh ${spec.spec.hosts[0].name}`);
        say(`  take it down      npx hakube lab down -f ${path.relative(PROJECT_ROOT, flags.file)}` +
          `${worker.started ? `; kill ${worker.pid}  (the worker)` : ''}${serverWasUp && !codec.started ? '' : '; npx hakube server stop'}`);
        say('  or next time      npm run demo -- --down');
      }
      process.exitCode = exit;
    });
}
