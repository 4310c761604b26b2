/**
 * A real Temporal cluster on PostgreSQL with mTLS (`hakube server --persistence postgres`) and
 * two `hakube worker` processes with their own HAKUBE_HOMEs, deploying examples/ha-vip.yaml on
 * lab hosts. One deploy carries every durability scenario in turn:
 * - worker A is SIGKILLed mid join-masters (m2 hangs on the step after its join): worker B
 *   finishes the phase and no finished step runs again on any host;
 * - temporal-server is SIGKILLed and started again as join-workers begins;
 * - w1's join fails past its attempts, the run waits for the operator, PostgreSQL is restarted,
 *   and `hakube retry` completes the run;
 * - the whole cluster is stopped and started: `hakube list` and `status` read the run back.
 * A client without a certificate is refused first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { startDeploy } from '../../src/client/deploy';
import { connectClient } from '../../src/temporal/connection';
import { serverPidFile, startPostgres, stopPostgres, postgresPid } from '../../src/temporal/cluster';
import { progressQuery, type DeployResult, type Progress } from '../../src/workflows/defs';
import { startTestCluster, type TestCluster } from '../helpers/cluster';
import { commandLog, count, labFromExample, ROOT, type ExampleLab } from './deploy-support';

let cluster: TestCluster;
let ex: ExampleLab | undefined;
const workers: ChildProcess[] = [];
const homes: string[] = [];
const INSTALL_KUBECONFIG = 'install -m 0600 /etc/kubernetes/admin.conf /root/.kube/config';
// kubeadm runs systemctl for the kubelet on every join, and credential and health checks read
// state again: those lines may repeat without any step having run twice.
const MAY_REPEAT = /^systemctl |^kubectl .*\b(get|wait)\b|^kubeadm token|upload-certs/;

const tmpHome = (name: string): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hakube-${name}-`));
  homes.push(dir);
  return dir;
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function hakube(args: string[], env: NodeJS.ProcessEnv = cluster.env, timeoutMs = 300_000): Promise<Run> {
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

/** A `hakube worker` process with its own HAKUBE_HOME; resolves once it polls. */
function startWorker(name: string): Promise<{ child: ChildProcess; home: string }> {
  const home = tmpHome(`worker-${name}`);
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/hakube.js'), 'worker'], {
    env: { ...cluster.env, HAKUBE_HOME: home },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  workers.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('polling task queue')) resolve({ child, home });
    });
    child.on('exit', (code) => reject(new Error(`worker ${name} exited ${code}: ${err}`)));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

before(async () => {
  cluster = await startTestCluster();
  ex = await labFromExample('ha-vip', 'pgc');
});

after(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  await ex?.lab.down();
  await cluster?.stop();
  for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
});

test('the frontend refuses a client without a certificate and accepts hakube’s', async () => {
  const ca = fs.readFileSync(path.join(cluster.cfg.tlsDir, 'ca.pem'));
  const address = cluster.env.TEMPORAL_ADDRESS!;
  // The server's CA trusted, no client certificate: the mTLS handshake fails at the server.
  const bare = await Connection.connect({ address, tls: { serverRootCACertificate: ca, serverNameOverride: 'localhost' }, connectTimeout: 3000 }).then(
    async (c) => {
      try {
        await c.workflowService.getSystemInfo({});
        return 'answered';
      } catch (err) {
        return String((err as Error).message);
      } finally {
        await c.close();
      }
    },
    (err: Error) => err.message,
  );
  assert.notEqual(bare, 'answered', 'a client without a certificate got an answer');

  const noCert: NodeJS.ProcessEnv = { ...cluster.env, HAKUBE_HOME: tmpHome('nocert') };
  delete noCert.TEMPORAL_TLS_CLIENT_CERT_PATH;
  delete noCert.TEMPORAL_TLS_CLIENT_KEY_PATH;
  const refused = await hakube(['list'], noCert, 60_000);
  assert.equal(refused.code, 1, refused.stdout);
  assert.match(refused.stderr, /hakube: .*Temporal at 127\.0\.0\.1:\d+/);

  const plain: NodeJS.ProcessEnv = { ...noCert };
  delete plain.TEMPORAL_TLS_SERVER_CA_CERT_PATH;
  assert.equal((await hakube(['list'], plain, 60_000)).code, 1, 'plain gRPC is refused too');

  const ok = await hakube(['list']);
  assert.equal(ok.code, 0, ok.stderr);
  const status = await hakube(['server', 'status', ...cluster.flags]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /answers at .* over mTLS .*PostgreSQL pid \d+/);
});

test('ha-vip through the PostgreSQL cluster with two workers survives a worker, server and database restart', async () => {
  const lab = ex!.lab;
  const name = ex!.spec.metadata.name;
  await lab.fault('m2', 'command', INSTALL_KUBECONFIG, '--hang', '--times', '1');
  await lab.fault('w1', 'command', 'kubeadm join', '--fail', '--times', '2');
  const a = await startWorker('a');
  const client = await connectClient({ env: cluster.env });
  const query = (): Promise<Progress | undefined> => handle.query(progressQuery).catch(() => undefined);
  const phase = (p: Progress | undefined, n: string) => p?.phases.find((x) => x.name === n);
  const handle = await startDeploy(client, ex!.spec, { heartbeatTimeout: '8s', retryInterval: '1s', hostAttempts: 2 });
  try {
    // 1. Worker A killed while m2 hangs on the step after `kubeadm join`.
    for (let i = 0; (await commandLog(lab, 'm2', 'hang')).length === 0; i++) {
      assert.ok(i < 900, 'm2 never reached the step after kubeadm join');
      await sleep(500);
    }
    await sleep(8000); // let the throttled heartbeat for this step reach the server
    const masters = ['m1', 'm2', 'm3'];
    const before = Object.fromEntries(await Promise.all(masters.map(async (h) => [h, await commandLog(lab, h)] as const)));
    assert.equal(count(before.m2, /^kubeadm join /), 1, 'm2 joined before the kill');
    const b = await startWorker('b');
    a.child.kill('SIGKILL');
    await new Promise((r) => a.child.once('exit', r));

    // 2. join-masters finishes on worker B; then, as join-workers starts, the server is killed.
    for (let i = 0; ; i++) {
      const p = await query();
      assert.ok(i < 900, `join-workers never started: ${JSON.stringify(p?.waiting ?? p?.error)}`);
      assert.notEqual(p?.state, 'failed', p?.error);
      if (phase(p, 'join-masters')?.status === 'done') {
        const after = Object.fromEntries(await Promise.all(masters.map(async (h) => [h, await commandLog(lab, h)] as const)));
        assert.equal(count(after.m2, /^kubeadm join /), 1, 'the resumed activity did not run the finished join again');
        assert.equal(count(after.m2, new RegExp(`^${escape(INSTALL_KUBECONFIG)}$`)), 1, 'the hung step ran once it was resumed');
        assert.equal(count(after.m1, /^kubeadm init (?!phase)/), 1);
        assert.equal(count(after.m3, /^kubeadm join /), 1);
        for (const host of masters) {
          for (const line of new Set(before[host].filter((l) => !MAY_REPEAT.test(l)))) {
            const re = new RegExp(`^${escape(line)}$`);
            assert.equal(count(after[host], re), count(before[host], re), `${host} ran again: ${line}`);
          }
        }
        const m2 = phase(p, 'join-masters')!.hosts.find((h) => h.host === 'm2')!;
        assert.equal(m2.steps[0].attempts, 1, 'the join step ran in one attempt only');
        break;
      }
      await sleep(500);
    }
    const serverPid = Number(fs.readFileSync(serverPidFile(cluster.cfg), 'utf8'));
    process.kill(serverPid, 'SIGKILL');
    await sleep(1000);
    const restarted = await hakube(['server', ...cluster.flags, '--background']);
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.notEqual(Number(fs.readFileSync(serverPidFile(cluster.cfg), 'utf8')), serverPid, 'a new temporal-server runs');

    // 3. w1 fails past its attempts: the run waits; PostgreSQL restarts under it; retry completes.
    for (let i = 0; ; i++) {
      const p = await query();
      if (p?.state === 'waiting') {
        assert.equal(p.waiting?.phase, 'join-workers', JSON.stringify(p.waiting));
        break;
      }
      assert.ok(i < 900, `the run never waited for the operator: ${p?.state}`);
      assert.notEqual(p?.state, 'done', 'w1 joined despite its injected failures');
      await sleep(500);
    }
    const pgBefore = postgresPid(cluster.cfg);
    stopPostgres(cluster.cfg);
    await sleep(2000);
    startPostgres(cluster.cfg);
    assert.notEqual(postgresPid(cluster.cfg), pgBefore, 'PostgreSQL restarted');
    let retry: Run | undefined;
    for (let i = 0; i < 30; i++) {
      // The server's connection pool notices the restart on first use: an early update may fail.
      retry = await hakube(['retry', name]);
      if (retry.code === 0) break;
      await sleep(2000);
    }
    assert.equal(retry?.code, 0, `${retry?.stdout}${retry?.stderr}`);
    const result = (await handle.result()) as DeployResult;
    assert.equal(result.state, 'done');
    assert.ok(result.verification?.ok, JSON.stringify(result.verification));
    assert.equal(count(await commandLog(lab, 'w2'), /^kubeadm join /), 1);

    // admin.conf reached the operator through the server, not through a worker's disk.
    const operator = { ...cluster.env, HAKUBE_HOME: tmpHome('operator') };
    const status = await hakube(['status', name], operator);
    assert.equal(status.code, 0, status.stderr);
    const kubeconfig = path.join(operator.HAKUBE_HOME, name, 'admin.conf');
    assert.match(status.stdout, new RegExp(`kubeconfig: ${escape(kubeconfig)}`));
    assert.equal(fs.statSync(kubeconfig).mode & 0o777, 0o600);
    assert.match(fs.readFileSync(kubeconfig, 'utf8'), /client-key-data: /);
    for (const home of [a.home, b.home]) assert.ok(!fs.existsSync(path.join(home, name, 'admin.conf')), `${home} holds no admin.conf`);

    // 4. Everything stops; after a fresh start the run is read back from PostgreSQL.
    b.child.kill('SIGTERM');
    await new Promise((r) => b.child.once('exit', r));
    const stopped = await hakube(['server', 'stop', ...cluster.flags]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /stopped Web UI .*temporal-server .*PostgreSQL/);
    assert.equal(postgresPid(cluster.cfg), undefined);
    const again = await hakube(['server', ...cluster.flags, '--background']);
    assert.equal(again.code, 0, again.stderr);
    const list = await hakube(['list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`^${name}\\s+completed\\s+done`, 'm'));
    const read = await hakube(['status', name], operator);
    assert.equal(read.code, 0, read.stderr);
    assert.match(read.stdout, new RegExp(`${name}: done`));
    assert.match(read.stdout, /verification: PASSED/);
  } finally {
    await client.connection.close();
  }
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
