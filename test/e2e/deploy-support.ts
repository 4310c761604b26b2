/**
 * Shared by the deploy lab e2e tests (not a test file itself): an example spec moved onto a
 * free lab subnet under a unique name, a worker with the real activities, the CLI as a
 * subprocess against the test server, and the hosts' own command logs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import type { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { progressQuery, type DeployResult } from '../../src/workflows/defs';
import { clusterDir } from '../../lab/paths';
import { freeSubnet, startLabFromFile, uniqueClusterName, type TestLab } from '../helpers/lab';
import { bundleOnce, startTestServer, type TestServer, type TestServerOptions } from '../helpers/temporal';
import { loadSpec } from '../../src/spec/load';
import type { Cluster } from '../../src/spec/types';
import { createActivities } from '../../src/activities';
import { kubeconfigPath } from '../../src/client/kubeconfig';
import { SshPool } from '../../src/ssh';

export const ROOT = path.join(__dirname, '../..');
export const WORKFLOWS = path.join(ROOT, 'src/workflows/index.ts');

export interface ExampleLab {
  lab: TestLab;
  spec: Cluster;
  specPath: string;
}

/** examples/<name>.yaml as it is, only renamed and moved to a free /24 so tests never collide. */
export async function labFromExample(example: 'ha-vip' | 'ha-local-proxy', prefix: string): Promise<ExampleLab> {
  const doc = parse(readFileSync(path.join(ROOT, 'examples', `${example}.yaml`), 'utf8')) as {
    metadata: { name: string };
    spec: { ssh: Record<string, unknown>; hosts: Array<{ address: string }>; loadBalancer: { vip?: string } };
  };
  const cluster = uniqueClusterName(prefix);
  const net = await freeSubnet();
  const dir = clusterDir(cluster);
  doc.metadata.name = cluster;
  doc.spec.hosts.forEach((h, i) => (h.address = `${net}.${i + 11}`));
  if (doc.spec.loadBalancer.vip) doc.spec.loadBalancer.vip = `${net}.250`;
  doc.spec.ssh.privateKeyPath = path.join(dir, 'id_ed25519');
  doc.spec.ssh.knownHostsPath = path.join(dir, 'known_hosts');
  mkdirSync(dir, { recursive: true });
  const specPath = path.join(dir, 'cluster.yaml');
  writeFileSync(specPath, stringify(doc));
  const lab = await startLabFromFile(specPath);
  return { lab, spec: loadSpec(specPath), specPath };
}

/** A worker on the test server running the real activities over SSH; close the pool after. */
export async function realWorker(server: TestServer): Promise<{ worker: Worker; pool: SshPool }> {
  const pool = new SshPool();
  const worker = await server.worker({ workflowBundle: await bundleOnce(WORKFLOWS), activities: createActivities({ pool }) });
  return { worker, pool };
}

/**
 * What every lab deploy test stands on: a test server, an example's lab, and a worker running
 * the real activities. `close()` undoes it all, whatever part of it came up.
 */
export interface DeployBed {
  server: TestServer;
  ex: ExampleLab;
  worker: Worker;
  close(): Promise<void>;
}

export async function deployBed(example: 'ha-vip' | 'ha-local-proxy', prefix: string, serverOpts: TestServerOptions = {}): Promise<DeployBed> {
  let server: TestServer | undefined;
  let ex: ExampleLab | undefined;
  let pool: SshPool | undefined;
  const close = async () => {
    pool?.closeAll();
    dropKubeconfig(ex?.spec.metadata.name);
    await ex?.lab.down();
    await server?.stop();
  };
  try {
    const srv = (server = await startTestServer(serverOpts));
    const lab = (ex = await labFromExample(example, prefix));
    const w = await realWorker(srv);
    pool = w.pool;
    return { server: srv, ex: lab, worker: w.worker, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Environment that points the CLI (or a worker process) at the test server with its codec key. */
export function cliEnv(server: TestServer): NodeJS.ProcessEnv {
  return { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace, HAKUBE_CODEC_KEY: server.env.HAKUBE_CODEC_KEY };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function hakube(server: TestServer, args: string[], timeoutMs = 600_000): Promise<CliRun> {
  return hakubeRaw(args, cliEnv(server), timeoutMs);
}

/**
 * `hakube worker` as its own process (so a test can SIGKILL it), resolved once it polls;
 * pushed onto `started` for the test's clean-up.
 */
export function workerProcess(server: TestServer, started: ChildProcess[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/hakube.js'), 'worker'], { env: cliEnv(server), stdio: ['ignore', 'ignore', 'pipe'] });
  started.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('polling task queue')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited ${code}: ${err}`)));
  });
}

/** `node bin/hakube.js ...` from the project root with exactly this environment. */
export function hakubeRaw(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 600_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/hakube.js'), ...args], { env, cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export type CommandAction = 'run' | 'fail' | 'hang';

export interface CommandLogEntry {
  /** Epoch ms, to the whole second the log records. */
  at: number;
  action: CommandAction;
  line: string;
}

/** The host's own record of every simulator invocation (kubeadm, kubectl, systemctl...), with its time. */
export async function commandLogEntries(lab: TestLab, host: string): Promise<CommandLogEntry[]> {
  const r = await lab.exec(host, ['cat', '/var/log/hakube-lab/commands.log']);
  if (r.code !== 0) return [];
  // "<time>\t<run|fail|hang>\t<command line>": the command lines that really ran, and those an
  // injected fault failed or hung.
  return r.stdout
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((f) => f.length >= 3)
    .map((f) => ({ at: Date.parse(f[0]), action: f[1] as CommandAction, line: f.slice(2).join('\t') }));
}

/** The command lines of one action (by default those that really ran). */
export async function commandLog(lab: TestLab, host: string, action: CommandAction = 'run'): Promise<string[]> {
  return (await commandLogEntries(lab, host)).filter((e) => e.action === action).map((e) => e.line);
}

export const count = (lines: string[], re: RegExp): number => lines.filter((l) => re.test(l)).length;

/** The run's result, or a failure naming what it waits for: a stuck deploy must not hang a test. */
export async function resultUnlessWaiting(handle: WorkflowHandle): Promise<DeployResult> {
  let done = false;
  const watch = (async () => {
    while (!done) {
      await new Promise((r) => setTimeout(r, 2000));
      if (done) return;
      const p = await handle.query(progressQuery).catch(() => undefined);
      if (p?.state === 'waiting') throw new Error(`deploy waits for the operator: ${JSON.stringify(p.waiting)}`);
    }
  })();
  try {
    return (await Promise.race([handle.result(), watch])) as DeployResult;
  } finally {
    done = true;
  }
}

/** The worker saved the cluster's admin.conf under HAKUBE_HOME: a test removes what it caused. */
export function dropKubeconfig(cluster: string | undefined): void {
  if (cluster) rmSync(path.dirname(kubeconfigPath(cluster)), { recursive: true, force: true });
}

/** The real kubectl v1.34.1 the set-up built, run on this machine. */
export async function kubectl(kubeconfig: string, args: string[], input?: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(ROOT, '.tools/bin/kubectl'), ['--kubeconfig', kubeconfig, '--request-timeout=20s', ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/**
 * What an operator sees of a deployed cluster with the saved kubeconfig and the real kubectl:
 * discovery and RBAC answer, every node is Ready, CoreDNS runs, and the test deployment the
 * verify phase creates rolls out to Running pods with IPs from the pod network.
 */
export async function assertClusterServes(kubeconfig: string, spec: Cluster): Promise<void> {
  const ok = async (...args: string[]) => {
    const r = await kubectl(kubeconfig, args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const resources = await ok('api-resources', '-o', 'name');
  for (const r of ['nodes', 'pods', 'deployments.apps', 'leases.coordination.k8s.io', 'certificatesigningrequests.certificates.k8s.io']) {
    if (!resources.split('\n').includes(r)) throw new Error(`api-resources lacks ${r}:\n${resources}`);
  }
  if ((await ok('auth', 'can-i', '*', '*')).trim() !== 'yes') throw new Error('admin.conf is not cluster-admin');
  const names = spec.spec.hosts.map((h) => h.name).sort();
  await ok('wait', '--for=condition=Ready', 'node', ...names, '--timeout=120s');
  const nodes = JSON.parse(await ok('get', 'nodes', '-o', 'json')) as { items: Array<{ metadata: { name: string }; status: { nodeInfo: { kubeletVersion: string } } }> };
  if (nodes.items.map((n) => n.metadata.name).sort().join() !== names.join()) throw new Error(`nodes: ${nodes.items.map((n) => n.metadata.name)}`);
  await ok('-n', 'kube-system', 'rollout', 'status', 'deployment/coredns', '--timeout=120s');
  const { renderTestWorkload } = await import('../../src/render/verify');
  const apply = await kubectl(kubeconfig, ['apply', '-f', '-'], renderTestWorkload(spec));
  if (apply.code !== 0) throw new Error(`apply test workload: ${apply.stderr}`);
  try {
    await ok('rollout', 'status', 'deployment/hakube-verify', '--timeout=120s');
    const pods = await ok('get', 'pods', '-A', '-o', 'wide');
    console.log(pods);
    const [net, bits] = spec.spec.networking.podSubnet.split('/');
    const toInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
    const inPodNet = (ip: string) => Math.floor(toInt(ip) / 2 ** (32 - Number(bits))) === Math.floor(toInt(net) / 2 ** (32 - Number(bits)));
    for (const app of ['coredns', 'hakube-verify']) {
      const rows = pods.split('\n').filter((l) => l.includes(` ${app}-`)).map((l) => l.trim().split(/\s+/));
      // NAMESPACE NAME READY STATUS RESTARTS AGE IP NODE ...
      const good = (r: string[]) => /^(\d+)\/\1$/.test(r[2]) && r[3] === 'Running' && inPodNet(r[6]);
      if (rows.length === 0 || !rows.every(good)) throw new Error(`${app} pods are not all Running and Ready with a pod IP:\n${pods}`);
    }
  } finally {
    await kubectl(kubeconfig, ['delete', 'deployment,service', 'hakube-verify', '--ignore-not-found']);
  }
}
