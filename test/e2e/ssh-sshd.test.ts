/**
 * The SSH layer against a real OpenSSH sshd on loopback: host key policy, auth, quoting, masking,
 * idempotent files, connection reuse, reconnect, abort, bastion and executeStep.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PlannedStep } from '../../src/plan/types';
import {
  CommandAbortedError,
  CommandFailedError,
  HostKeyMismatchError,
  HostKeyUnknownError,
  InvalidCommandError,
  SshAuthError,
  SshPool,
  SshTimeoutError,
  SshUnreachableError,
  executeStep,
  type SshTarget,
} from '../../src/ssh';
import { keygen, startSshd, type Sshd } from '../helpers/sshd';

let sshd: Sshd;
let pool: SshPool;
let target: SshTarget;
const logged: string[] = [];
const logger = {
  debug: (o: object, m: string) => logged.push(`${m} ${JSON.stringify(o)}`),
  info: (o: object, m: string) => logged.push(`${m} ${JSON.stringify(o)}`),
  warn: (o: object, m: string) => logged.push(`${m} ${JSON.stringify(o)}`),
};

function knownHosts(name: string, lines: string[]): string {
  const path = join(sshd.dir, name);
  writeFileSync(path, lines.map((l) => `${l}\n`).join(''));
  return path;
}

async function rejectsWith(p: Promise<unknown>, type: new (...args: never[]) => Error): Promise<Error> {
  const err = await p.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e as Error,
  );
  assert.ok(err instanceof type, `${err.constructor.name}: ${err.message}`);
  return err;
}

before(async () => {
  sshd = await startSshd();
  const hostName = `[127.0.0.1]:${sshd.port}`;
  target = {
    host: 'k1',
    address: '127.0.0.1',
    port: sshd.port,
    user: 'root',
    privateKeyPath: sshd.clientKeyPath,
    knownHostsPath: knownHosts('known_hosts', sshd.hostKeys.map((k) => `${hostName} ${k}`)),
  };
  pool = new SshPool({ logger });
});

after(async () => {
  pool?.closeAll();
  await sshd?.stop();
});

describe('host keys and authentication', () => {
  const fresh = (t: Partial<SshTarget>) => new SshPool().get({ ...target, ...t });

  it('refuses a host nothing vouches for', async () => {
    await rejectsWith(fresh({ knownHostsPath: knownHosts('empty', []) }), HostKeyUnknownError);
    await rejectsWith(fresh({ knownHostsPath: join(sshd.dir, 'missing') }), HostKeyUnknownError);
  });

  it('refuses a changed key and a revoked one', async () => {
    const other = keygen(join(sshd.dir, 'impostor'));
    await rejectsWith(fresh({ knownHostsPath: knownHosts('changed', [`[127.0.0.1]:${sshd.port} ${other}`]) }), HostKeyMismatchError);
    const revoked = knownHosts('revoked', [`[127.0.0.1]:${sshd.port} ${sshd.hostKeys[0]}`, `@revoked * ${sshd.hostKeys[0]}`]);
    await rejectsWith(fresh({ knownHostsPath: revoked }), HostKeyMismatchError);
  });

  it('accepts hashed known_hosts written by ssh-keyscan and ssh-keygen -H', async () => {
    const scanned = execFileSync('ssh-keyscan', ['-p', String(sshd.port), '-t', 'ecdsa', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    const path = knownHosts('hashed', [scanned.trim()]);
    execFileSync('ssh-keygen', ['-H', '-f', path], { stdio: 'ignore' });
    // Only the ECDSA key is known: the client must negotiate that type, not its default ed25519.
    const conn = await fresh({ knownHostsPath: path });
    assert.equal((await conn.run(['true'])).exitCode, 0);
    conn.close();
  });

  it('accepts a pinned fingerprint and refuses a wrong pin', async () => {
    const pub = join(sshd.dir, 'host_ed25519.pub');
    const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pub]).toString().split(' ')[1] as string;
    const empty = knownHosts('empty2', []);
    const conn = await fresh({ knownHostsPath: empty, hostKeyFingerprint: fp });
    conn.close();
    await rejectsWith(fresh({ knownHostsPath: empty, hostKeyFingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }), HostKeyMismatchError);
  });

  it('reports a refused client key as SshAuthError and a closed port as SshUnreachableError', async () => {
    const stranger = join(sshd.dir, 'stranger');
    keygen(stranger);
    const auth = await rejectsWith(fresh({ privateKeyPath: stranger }), SshAuthError);
    assert.equal((auth as SshAuthError).retryable, false);
    const down = await rejectsWith(fresh({ port: 1 }), SshUnreachableError);
    assert.equal((down as SshUnreachableError).retryable, true);
  });
});

describe('commands', () => {
  it('runs argv with exit codes and output tails', async () => {
    const conn = await pool.get(target);
    const ok = await conn.run(['sh', '-c', 'echo out; echo err >&2; exit 3'], { okExitCodes: [0, 3] });
    assert.deepEqual(ok, { exitCode: 3, exitSignal: undefined, stdoutTail: 'out\n', stderrTail: 'err\n' });
    const err = await rejectsWith(conn.run(['sh', '-c', 'echo nope >&2; exit 7']), CommandFailedError);
    assert.equal((err as CommandFailedError).exitCode, 7);
    assert.equal((err as CommandFailedError).stderrTail, 'nope\n');
    assert.match(err.message, /exited 7: nope/);
  });

  it('delivers hostile words, env values and stdin verbatim', async () => {
    const conn = await pool.get(target);
    const words = ['$(id)', '`id`', ';', 'a b', "it's", '"q"', 'x\ny', '*', '~', '$HOME', '\\', '', '|', '&&', '>/tmp/x'];
    const r = await conn.run(['printf', '%s\\0', ...words]);
    assert.deepEqual(r.stdoutTail.split('\0').slice(0, -1), words);
    const env = await conn.run(['sh', '-c', 'printf %s "$HK_V"; cat'], { env: { HK_V: "$(id);'" }, stdin: 'in\n' });
    assert.equal(env.stdoutTail, "$(id);'in\n");
    await rejectsWith(conn.run(['true'], { env: { 'X;Y': '1' } }), InvalidCommandError);
    await rejectsWith(conn.run(['echo', '{{joinToken}}']), InvalidCommandError);
  });

  it('masks runtime values in tails, live output, errors and logs', async () => {
    const conn = await pool.get(target);
    const token = 'abcdef.0123456789abcdef';
    const live: string[] = [];
    const script = 'echo "token $1"; echo "$1" >&2; printf %s "$1" | cut -c1-3; exit 4';
    const err = await rejectsWith(
      conn.run(['sh', '-c', script, 'sh', '{{joinToken}}'], { runtime: { joinToken: token }, onOutput: (_s, t) => live.push(t) }),
      CommandFailedError,
    );
    const failed = err as CommandFailedError;
    assert.equal(failed.stdoutTail, 'token ***\nabc\n');
    assert.equal(failed.stderrTail, '***\n');
    assert.match(failed.argvDisplay, /'\*\*\*'$/);
    for (const text of [failed.message, failed.argvDisplay, failed.stdoutTail, failed.stderrTail, ...live, ...logged]) {
      assert.ok(!text.includes(token), text);
    }
    assert.ok(logged.some((l) => l.includes('***')));
  });

  it('reuses one TCP connection across many commands and runs more than MaxSessions at once', async () => {
    const before = sshd.connections();
    for (let i = 0; i < 10; i++) {
      const conn = await pool.get(target);
      assert.equal((await conn.run(['echo', String(i)])).stdoutTail, `${i}\n`);
    }
    const conn = await pool.get(target);
    const parallel = await Promise.all(Array.from({ length: 14 }, (_, i) => conn.run(['sh', '-c', `sleep 0.2; echo ${i}`])));
    assert.deepEqual(parallel.map((r) => r.stdoutTail), Array.from({ length: 14 }, (_, i) => `${i}\n`));
    assert.equal(sshd.connections(), before);
    // Steps of one host starting together still share a single handshake.
    const racing = new SshPool();
    const conns = await Promise.all(Array.from({ length: 5 }, () => racing.get(target)));
    assert.ok(conns.every((c) => c === conns[0]));
    assert.equal(sshd.connections(), before + 1);
    racing.closeAll();
  });

  it('kills the remote command when aborted', async () => {
    const conn = await pool.get(target);
    const pidFile = join(sshd.dir, 'sleeper.pid');
    // Zombies count as gone: the test machine's PID 1 may be slow to reap orphans.
    const alive = async (pid: string) =>
      (await conn.run(['sh', '-c', 'case "$(ps -o stat= -p "$1")" in ""|Z*) exit 1;; esac', 'sh', pid], { okExitCodes: [0, 1] })).exitCode === 0;
    const ac = new AbortController();
    const bystander = conn.run(['sh', '-c', 'echo $$ > "$1"; exec sleep 60', 'sh', pidFile]).then(
      () => assert.fail('the bystander was killed, it cannot succeed'),
      (e: unknown) => e,
    );
    const aborted = conn.run(['sh', '-c', 'sleep 60 & echo $$ $! > "$1.2"; wait; echo finished', 'sh', pidFile], { signal: ac.signal });
    const pidsOf = async (path: string) => ((await conn.fileExists(path)) ? (await conn.readFile(path)).trim().split(' ') : []);
    let victims: string[] = [];
    for (let i = 0; i < 200 && (victims.length < 2 || !(await conn.fileExists(pidFile))); i++) victims = await pidsOf(`${pidFile}.2`);
    assert.equal(victims.length, 2, 'the commands never started');
    ac.abort();
    await rejectsWith(aborted, CommandAbortedError);
    // The shell and its child went with it (the whole session's process group).
    for (const victim of victims) {
      assert.equal(await alive(victim), false, `aborted process ${victim} still runs`);
    }
    // A command on another channel of the same connection is untouched.
    const other = (await conn.readFile(pidFile)).trim();
    assert.equal(await alive(other), true);
    await conn.run(['kill', other]);
    const killed = await bystander;
    assert.ok(killed instanceof CommandFailedError && killed.exitCode === 143, String(killed));
  });

  it('ends the remote command when the client process dies (a crashed worker)', async () => {
    const pidFile = join(sshd.dir, 'orphan.pid');
    const program = `
      const { SshPool } = require(${JSON.stringify(join(__dirname, '../../src/ssh'))});
      new SshPool().get(JSON.parse(process.env.HK_TARGET)).then((c) => c.run(['sh', '-c', 'echo $$ > "$1"; sleep 60', 'sh', process.env.HK_PID]));`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', program], {
      env: { ...process.env, HK_TARGET: JSON.stringify(target), HK_PID: pidFile },
      stdio: 'ignore',
    });
    const conn = await pool.get(target);
    let pid = '';
    for (let i = 0; i < 300 && !pid; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (await conn.fileExists(pidFile)) pid = (await conn.readFile(pidFile)).trim();
    }
    assert.ok(pid, 'the child never started its command');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const state = await conn.run(['ps', '-o', 'stat=', '-p', pid], { okExitCodes: [0, 1] });
      gone = state.exitCode === 1 || state.stdoutTail.startsWith('Z');
    }
    if (!gone) await conn.run(['kill', pid], { okExitCodes: [0, 1] });
    assert.ok(gone, `remote command ${pid} outlived its client`);
  });

  it('times a command out and ends it', async () => {
    const conn = await pool.get(target);
    const started = Date.now();
    await rejectsWith(conn.run(['sleep', '30'], { timeoutMs: 300 }), SshTimeoutError);
    // Well before the 30 s sleep would have ended on its own.
    assert.ok(Date.now() - started < 15_000);
  });

  it('reconnects after the connection drops', async () => {
    const conn = await pool.get(target);
    const before = sshd.connections();
    // Kill this connection's own sshd session process: the TCP connection goes with it.
    await rejectsWith(conn.run(['sh', '-c', 'kill -9 $(ps -o ppid= -p $PPID)']), SshUnreachableError);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await (await pool.get(target)).run(['echo', 'back'])).stdoutTail, 'back\n');
    assert.equal(sshd.connections(), before + 1);
  });
});

describe('files', () => {
  it('writes only when content or mode differ, atomically and with the mode asked for', async () => {
    const conn = await pool.get(target);
    const path = join(sshd.dir, 'etc', 'kubernetes', 'secret.conf');
    assert.equal(await conn.fileExists(path), false);
    assert.equal(await conn.writeFileIfChanged(path, 'token: s3cret\n', '0600'), true);
    assert.equal(await conn.writeFileIfChanged(path, 'token: s3cret\n', '0600'), false);
    assert.equal((await conn.run(['stat', '-c', '%a', path])).stdoutTail, '600\n');
    assert.equal(await conn.readFile(path), 'token: s3cret\n');
    assert.equal(await conn.writeFileIfChanged(path, 'token: s3cret\n', '0640'), true);
    assert.equal((await conn.run(['stat', '-c', '%a', path])).stdoutTail, '640\n');
    assert.equal(await conn.writeFileIfChanged(path, 'token: other\n', '0640'), true);
    assert.equal(await conn.readFile(path), 'token: other\n');
    // No temp files left behind.
    assert.equal((await conn.run(['ls', join(sshd.dir, 'etc', 'kubernetes')])).stdoutTail, 'secret.conf\n');
    assert.ok(!logged.some((l) => l.includes('s3cret')));
    await rejectsWith(conn.writeFileIfChanged(path, 'x', 'rw'), InvalidCommandError);
  });

  it('a small file takes one command, compared and installed on the host; a big one is compared first', async () => {
    const conn = await pool.get(target);
    const small = join(sshd.dir, 'etc', 'one-trip', 'small.conf');
    const commands = () => logged.filter((l) => l.includes('ssh run')).length;
    let n = commands();
    assert.equal(await conn.writeFileIfChanged(small, 'a: 1\n', '644'), true);
    assert.equal(commands() - n, 1);
    n = commands();
    // 644 and 0644 are one mode.
    assert.equal(await conn.writeFileIfChanged(small, 'a: 1\n', '0644'), false);
    assert.equal(commands() - n, 1);
    const big = join(sshd.dir, 'etc', 'one-trip', 'big.bin');
    const data = Buffer.alloc(300 * 1024, 'b');
    assert.equal(await conn.writeFileIfChanged(big, data, '0600'), true);
    n = commands();
    assert.equal(await conn.writeFileIfChanged(big, data, '0600'), false);
    assert.equal(commands() - n, 1, 'an unchanged big file is not sent again');
    assert.equal((await conn.run(['stat', '-c', '%a %s', big])).stdoutTail, `600 ${data.length}\n`);
    await rejectsWith(conn.writeFileIfChanged(`${small}/`, 'x', '0644'), InvalidCommandError);
  });
});

describe('executeStep', () => {
  it('writes files, runs commands, then skips once the check passes', async () => {
    const conn = await pool.get(target);
    const marker = join(sshd.dir, 'step', 'done');
    const step: PlannedStep = {
      id: 'prep/k1/marker',
      phase: 'prep',
      host: 'k1',
      title: 'write the marker',
      files: [
        { path: join(sshd.dir, 'step', 'script.sh'), mode: '0755', content: `#!/bin/sh\necho "$1" > ${marker}\necho wrote\n` },
        { path: join(sshd.dir, 'step', 'conf', 'join.yaml'), mode: '0600', content: 'kind: JoinConfiguration\n', secret: true },
      ],
      check: { argv: ['test', '-e', marker] },
      commands: [{ argv: [join(sshd.dir, 'step', 'script.sh'), '{{joinToken}}'] }, { argv: ['sh', '-c', 'exit 2'], okExitCodes: [2] }],
    };
    const progress: string[] = [];
    const first = await executeStep(conn, step, { joinToken: 'tok-123456' }, { onProgress: (p) => progress.push(`${p.stage}:${p.commandIndex ?? ''}:${p.tail}`) });
    assert.equal(first.skipped, false);
    assert.deepEqual(first.files.map((f) => f.changed), [true, true]);
    assert.equal((await conn.run(['stat', '-c', '%a', join(sshd.dir, 'step', 'conf', 'join.yaml')])).stdoutTail, '600\n');
    assert.deepEqual(first.results.map((r) => r.exitCode), [0, 2]);
    assert.ok(progress.includes('command:0:wrote\n'), progress.join('|'));
    assert.equal(await conn.readFile(marker), 'tok-123456\n');
    const second = await executeStep(conn, step, { joinToken: 'tok-123456' });
    assert.deepEqual(second, { skipped: true, files: step.files.map((f) => ({ path: f.path, changed: false })), results: [] });
  });
});

describe('bastion', () => {
  it('reaches a host through forwardOut on the verified bastion connection', async () => {
    const before = sshd.connections();
    const viaPool = new SshPool();
    try {
      const conn = await viaPool.get({ ...target, host: 'k9', bastion: { address: '127.0.0.1', port: sshd.port, user: 'root' } });
      assert.equal((await conn.run(['echo', 'hop'])).stdoutTail, 'hop\n');
      assert.equal((await conn.run(['echo', 'again'])).stdoutTail, 'again\n');
      assert.equal(sshd.connections(), before + 2);
      const bad = viaPool.get({ ...target, host: 'k8', bastion: { address: '127.0.0.1', port: sshd.port, user: 'root', hostKeyFingerprint: 'SHA256:nope' } });
      await rejectsWith(bad, HostKeyMismatchError);
    } finally {
      viaPool.closeAll();
    }
  });
});
