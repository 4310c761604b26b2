/**
 * The SSH layer under faults, against a real OpenSSH sshd on loopback reached through a TCP proxy
 * the test can silence or cut: keepalive notices a silent partition, a cut upload never installs
 * a truncated file, long commands run detached (they survive the connection, a new attempt
 * re-attaches or reads the result, a flock keeps a second copy from running), a hang is stopped
 * and reported as one, and runtime-valued files exist only while their step runs.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { runSteps } from '../../src/activities/host-phase';
import type { Cluster } from '../../src/spec/types';
import type { PlannedStep } from '../../src/plan/types';
import { WRITE_FILE } from '../../src/ssh/remote';
import {
  CommandAbortedError,
  CommandFailedError,
  SshPool,
  SshUnreachableError,
  StepHangError,
  detachedName,
  executeStep,
  runDetached,
  type SshOptions,
  type SshTarget,
} from '../../src/ssh';
import { startSshd, type Sshd } from '../helpers/sshd';

/** A TCP proxy in front of sshd: `silence()` drops every byte both ways (a partition), `cut()` resets. */
interface Proxy {
  port: number;
  silence(): void;
  cut(): void;
  /** Reset every connection once `bytes` more bytes went from client to server. */
  cutAfter(bytes: number): void;
  close(): Promise<void>;
}

function startProxy(upstreamPort: number): Promise<Proxy> {
  const pairs = new Set<[Socket, Socket]>();
  let silent = false;
  let budget = Infinity;
  const cut = () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: upstreamPort });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.on('data', (chunk: Buffer) => {
      if (silent) return;
      budget -= chunk.length;
      if (budget <= 0) {
        budget = Infinity;
        // Part of this chunk gets through, as when a cable is pulled mid-transfer.
        upstream.write(chunk.subarray(0, Math.floor(chunk.length / 2)), () => cut());
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!silent) client.write(chunk);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as { port: number }).port,
        silence: () => (silent = true),
        cut,
        cutAfter: (bytes) => (budget = bytes),
        close: () => {
          cut();
          return new Promise((r) => server.close(() => r()));
        },
      }),
    ),
  );
}

let sshd: Sshd;
let proxy: Proxy;
let target: SshTarget;
let opts: SshOptions;
const pools: SshPool[] = [];

/** A fresh pool (a new worker, as far as the host can tell). */
function newPool(): SshPool {
  const p = new SshPool(opts);
  pools.push(p);
  return p;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e as Error,
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** How many times a detached test command really started: each start appends a line. */
const starts = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0);

/** Alive and not a zombie (this machine's PID 1 may reap late). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

let seq = 0;
const uniqueKey = (name: string) => `test/${name}/${process.pid}-${++seq}#0`;

before(async () => {
  sshd = await startSshd();
  proxy = await startProxy(sshd.port);
  const known = join(sshd.dir, 'known_hosts');
  writeFileSync(known, sshd.hostKeys.map((k) => `[127.0.0.1]:${proxy.port} ${k}\n`).join(''));
  target = { host: 'k1', address: '127.0.0.1', port: proxy.port, user: 'root', privateKeyPath: sshd.clientKeyPath, knownHostsPath: known };
  opts = { detachedDir: join(sshd.dir, 'run') };
});

after(async () => {
  for (const p of pools) p.closeAll();
  await proxy?.close();
  // Copies these tests left behind (none should be) end with their sshd's directory.
  await sshd?.stop();
});

describe('keepalive', () => {
  it('a silent partition fails the running command within seconds, not minutes', async () => {
    const local = await startProxy(sshd.port);
    const known = join(sshd.dir, 'known_hosts_ka');
    writeFileSync(known, sshd.hostKeys.map((k) => `[127.0.0.1]:${local.port} ${k}\n`).join(''));
    // Default keepalive settings: what a worker gets.
    const pool = new SshPool();
    pools.push(pool);
    const conn = await pool.get({ ...target, port: local.port, knownHostsPath: known });
    const running = conn.run(['sleep', '120']);
    await sleep(500);
    const t0 = Date.now();
    local.silence();
    const err = await rejection(running);
    const seconds = (Date.now() - t0) / 1000;
    assert.ok(err instanceof SshUnreachableError, `${err.constructor.name}: ${err.message}`);
    assert.ok(seconds < 25, `noticed after ${seconds} s`);
    await local.close();
  });
});

describe('uploads', () => {
  it('a connection cut mid-upload leaves the old file in place and no temp file', async () => {
    const conn = await newPool().get(target);
    const dir = join(sshd.dir, 'upload');
    const path = join(dir, 'big.bin');
    assert.equal(await conn.writeFileIfChanged(path, 'old\n', '0644'), true);
    const big = Buffer.alloc(8 * 1024 * 1024, 'x');
    proxy.cutAfter(2 * 1024 * 1024);
    const err = await rejection(conn.writeFileIfChanged(path, big, '0644'));
    assert.ok(err instanceof SshUnreachableError || err instanceof CommandFailedError, `${err.constructor.name}: ${err.message}`);
    // The host-side script finishes on its own once sshd closes its stdin.
    await until('the temp file to go', () => readdirSync(dir).length === 1, 5_000);
    assert.equal(readFileSync(path, 'utf8'), 'old\n');
    // The next attempt, over a new connection, installs it whole.
    const again = await newPool().get(target);
    assert.equal(await again.writeFileIfChanged(path, big, '0644'), true);
    assert.equal(statSync(path).size, big.length);
  });

  it('content whose sha256 differs from what the worker sent is refused by the host', async () => {
    const conn = await newPool().get(target);
    const path = join(sshd.dir, 'upload', 'short.conf');
    const err = await rejection(conn.run(['sh', '-c', WRITE_FILE, 'sh', path, `${path}.tmp`, '0644', '0'.repeat(64)], { stdin: 'truncat' }));
    assert.ok(err instanceof CommandFailedError && /another sha256/.test(err.stderrTail), err.message);
    assert.equal(existsSync(path), false);
    assert.equal(existsSync(`${path}.tmp`), false);
  });
});

describe('detached commands', () => {
  it('report the exit status and output of the command', async () => {
    const conn = await newPool().get(target);
    const err = await rejection(runDetached(conn, ['sh', '-c', 'echo working; echo oops >&2; exit 3'], { key: uniqueKey('exit'), owner: 'run-1' }));
    assert.ok(err instanceof CommandFailedError, err.message);
    assert.equal(err.exitCode, 3);
    assert.match(err.stdoutTail, /working\noops/);
    const ok = await runDetached(conn, ['sh', '-c', 'echo fine'], { key: uniqueKey('ok'), owner: 'run-1' });
    assert.equal(ok.exitCode, 0);
    assert.equal(ok.stdoutTail, 'fine\n');
  });

  it('outlive a cut connection; the next attempt re-attaches to the same copy instead of starting another', async () => {
    const log = join(sshd.dir, 'reattach.log');
    const done = join(sshd.dir, 'reattach.done');
    const argv = ['sh', '-c', `echo started >> ${log}; echo following; sleep 4; echo finished > ${done}; echo all done`];
    const key = uniqueKey('reattach');
    let following = false;
    const first = runDetached(await newPool().get(target), argv, { key, owner: 'run-1', onOutput: () => (following = true) });
    await until('the first attempt to follow the copy', () => following);
    proxy.cut();
    const err = await rejection(first);
    assert.ok(err instanceof SshUnreachableError, `${err.constructor.name}: ${err.message}`);
    assert.equal(existsSync(done), false, 'still running');
    const second = await runDetached(await newPool().get(target), argv, { key, owner: 'run-1' });
    assert.equal(second.exitCode, 0);
    assert.match(second.stdoutTail, /all done/);
    assert.equal(starts(log), 1, 'one copy only');
    assert.equal(readFileSync(done, 'utf8'), 'finished\n');
  });

  it('a copy that finished while no worker watched is read, not run again; another run starts afresh', async () => {
    const log = join(sshd.dir, 'finished.log');
    const argv = ['sh', '-c', `echo started >> ${log}; echo following; sleep 2; echo result`];
    const key = uniqueKey('finished');
    let following = false;
    const first = runDetached(await newPool().get(target), argv, { key, owner: 'run-1', onOutput: () => (following = true) });
    await until('the first attempt to follow the copy', () => following);
    proxy.cut();
    await rejection(first);
    await until('the copy to finish', () => existsSync(join(sshd.dir, 'run', detachedName(key), 'rc')));
    const second = await runDetached(await newPool().get(target), argv, { key, owner: 'run-1' });
    assert.equal(second.stdoutTail, 'following\nresult\n');
    assert.equal(starts(log), 1);
    // The result was taken: a later attempt of a new run runs the command again.
    await runDetached(await newPool().get(target), argv, { key, owner: 'run-2' });
    assert.equal(starts(log), 2);
  });

  it('two attempts at once never run two copies (flock)', async () => {
    const log = join(sshd.dir, 'twice.log');
    const argv = ['sh', '-c', `echo started >> ${log}; sleep 2; echo once`];
    const key = uniqueKey('twice');
    const [a, b] = await Promise.all([
      runDetached(await newPool().get(target), argv, { key, owner: 'run-a' }),
      runDetached(await newPool().get(target), argv, { key, owner: 'run-b' }),
    ]);
    assert.deepEqual([a.exitCode, b.exitCode], [0, 0]);
    assert.equal(starts(log), 1);
  });

  it('a hang past the timeout is stopped on the host and reported as a hang, with liveness meanwhile', async () => {
    const pidFile = join(sshd.dir, 'hang.pid');
    const alive: number[] = [];
    const t0 = Date.now();
    const err = await rejection(
      runDetached(await newPool().get(target), ['sh', '-c', `echo $$ > ${pidFile}; exec sleep 300`], {
        key: uniqueKey('hang'),
        owner: 'run-1',
        timeoutSeconds: 3,
        onAlive: (age) => alive.push(age),
      }),
    );
    const seconds = (Date.now() - t0) / 1000;
    assert.ok(err instanceof StepHangError, `${err.constructor.name}: ${err.message}`);
    assert.match(err.message, /hang/);
    assert.ok(seconds < 6 * 2, `detected after ${seconds} s (2x the 3 s timeout is the bound, plus the stop)`);
    assert.ok(alive.length >= 1, 'the host reported the copy alive while it ran');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.equal(running(pid), false, 'the hung command was stopped');
  });

  it('an abort stops the copy unless the worker is only shutting down', async () => {
    for (const keep of [false, true]) {
      const pidFile = join(sshd.dir, `abort-${keep}.pid`);
      const ac = new AbortController();
      const run = runDetached(await newPool().get(target), ['sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`], {
        key: uniqueKey('abort'),
        owner: 'run-1',
        signal: ac.signal,
        keepRunningOnAbort: () => keep,
      });
      await until('the copy to start', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '');
      ac.abort();
      const err = await rejection(run);
      assert.ok(err instanceof CommandAbortedError, err.message);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      if (keep) {
        assert.equal(running(pid), true, 'left running for the next attempt');
        process.kill(pid, 'SIGKILL');
      } else {
        assert.equal(running(pid), false, 'aborted copy stopped');
      }
    }
  });
});

describe('steps', () => {
  it('an ordinary command past its step timeout is a hang', async () => {
    const conn = await newPool().get(target);
    const step: PlannedStep = { id: 'prep/k1/quiet', phase: 'prep', host: 'k1', title: 'quiet', files: [], commands: [{ argv: ['sleep', '60'] }], timeoutSeconds: 2 };
    const t0 = Date.now();
    const err = await rejection(executeStep(conn, step, {}));
    assert.ok(err instanceof StepHangError, `${err.constructor.name}: ${err.message}`);
    assert.ok(Date.now() - t0 < 4_000);
  });

  it('while a copy still runs, the next attempt follows it instead of trusting the check', async () => {
    const marker = join(sshd.dir, 'early-marker');
    const log = join(sshd.dir, 'early.log');
    // Like kubeadm join: the file the check looks for appears long before the command ends.
    const step: PlannedStep = {
      id: 'join-workers/k1/early-check',
      phase: 'join-workers',
      host: 'k1',
      title: 'early',
      files: [],
      check: { argv: ['test', '-f', marker] },
      commands: [{ argv: ['sh', '-c', `echo started >> ${log}; touch ${marker}; echo following; sleep 3; echo joined`], long: true }],
    };
    let following = false;
    const first = executeStep(await newPool().get(target), step, {}, { owner: 'run-1', onProgress: (p) => (following ||= p.tail.includes('following')) });
    await until('the first attempt to follow the copy', () => following);
    proxy.cut();
    await rejection(first);
    assert.equal(existsSync(marker), true);
    const second = await executeStep(await newPool().get(target), step, {}, { owner: 'run-1' });
    assert.equal(second.skipped, false, 'the check was not asked while the copy ran');
    assert.match(second.results[0]?.stdoutTail ?? '', /joined/);
    assert.equal(starts(log), 1);
    const third = await executeStep(await newPool().get(target), step, {}, { owner: 'run-1' });
    assert.equal(third.skipped, true);
  });

  it('a file with runtime values is written 0600 only when the commands run, then removed; the check skips it', async () => {
    const conn = await newPool().get(target);
    const dir = join(sshd.dir, 'runtime');
    mkdirSync(dir, { recursive: true });
    const conf = join(dir, 'join.yaml');
    const seen = join(dir, 'seen');
    const step: PlannedStep = {
      id: 'join-workers/k1/kubeadm-join',
      phase: 'join-workers',
      host: 'k1',
      title: 'join',
      files: [{ path: conf, mode: '0600', content: 'token: "{{joinToken}}"\n', secret: true, runtime: true }],
      check: { argv: ['test', '-f', seen] },
      commands: [{ argv: ['sh', '-c', `stat -c %a ${conf} > ${seen}; cat ${conf} >> ${seen}; cat ${conf}`], long: true }],
    };
    const r = await executeStep(conn, step, { joinToken: 'abcdef.0123456789abcdef' }, { owner: 'run-1' });
    assert.equal(r.skipped, false);
    assert.equal(readFileSync(seen, 'utf8'), '600\ntoken: "abcdef.0123456789abcdef"\n');
    assert.equal(r.results[0]?.stdoutTail, 'token: "***"\n', 'output is masked');
    assert.equal(existsSync(conf), false, 'removed after the step');
    const again = await executeStep(conn, step, { joinToken: 'abcdef.0123456789abcdef' }, { owner: 'run-1' });
    assert.equal(again.skipped, true);
    assert.equal(existsSync(conf), false, 'never written when the check passes');
  });
});

describe('activity heartbeats', () => {
  it('come from progress: a quiet command beats on host probes, and a silent host stops them', async () => {
    const local = await startProxy(sshd.port);
    // A failed assertion must not leave the proxy holding the test process open.
    after(() => local.close());
    const known = join(sshd.dir, 'known_hosts_hb');
    writeFileSync(known, sshd.hostKeys.map((k) => `[127.0.0.1]:${local.port} ${k}\n`).join(''));
    // A spec may not name loopback, so the steps reach this test's sshd through `reach`.
    const spec = { metadata: { name: 'hb' }, spec: { hosts: [{ name: 'k1', address: '127.0.0.1' }] } } as unknown as Cluster;
    const reach = (): SshTarget => ({ host: 'k1', address: '127.0.0.1', port: local.port, user: 'root', privateKeyPath: sshd.clientKeyPath, knownHostsPath: known });
    const quiet = (id: string, seconds: number): PlannedStep => ({ id, phase: 'prep', host: 'k1', title: id, files: [], commands: [{ argv: ['sleep', String(seconds)] }], timeoutSeconds: 120 });
    const pool = newPool();

    const beats: number[] = [];
    const env = new MockActivityEnvironment({ attempt: 1 });
    env.on('heartbeat', () => beats.push(Date.now()));
    const t0 = Date.now();
    await env.run(runSteps, pool, spec, [quiet('prep/k1/quiet', 10)], undefined, reach);
    const during = beats.filter((t) => t > t0 + 2_000 && t < Date.now() - 500);
    assert.ok(during.length >= 2, `a quiet 10 s command beat ${during.length} times in between`);

    // Now the host goes silent mid-command: no progress, so no beats, until keepalive fails it.
    const silent: number[] = [];
    const env2 = new MockActivityEnvironment({ attempt: 1 });
    env2.on('heartbeat', () => silent.push(Date.now()));
    const run = env2.run(runSteps, pool, spec, [quiet('prep/k1/cut-off', 90)], undefined, reach);
    await sleep(4_000);
    const silencedAt = Date.now();
    local.silence();
    const err = await rejection(run);
    const failedAt = Date.now();
    assert.match(err.message, /connection lost|Keepalive|unreachable/i);
    assert.ok(failedAt - silencedAt < 25_000, `failed ${failedAt - silencedAt} ms after the partition`);
    const meanwhile = silent.filter((t) => t > silencedAt + 1_500 && t < failedAt - 200);
    assert.deepEqual(meanwhile, [], 'no heartbeat while the host did not answer');
  });
});
