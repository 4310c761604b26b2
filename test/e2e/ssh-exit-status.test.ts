/**
 * A quick command's exit status must not be lost when it reaches ssh2 in the same socket read as
 * the exec reply. That happens whenever the worker is busy for a moment (parallel activities on
 * a loaded machine): the exec reply, exit status and channel close of a short command (`test -f`,
 * `hostname`) arrive together and ssh2 parses them in one go, emitting the exit status before
 * the caller had a turn to listen. Such commands used to fail as "connection lost" on a
 * connection that was fine. An SSH server that answers each exec at once (reply, output, exit
 * status, close), behind a proxy that passes its bytes on only once it has been quiet for a
 * moment, makes every command arrive that way.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Server } from 'ssh2';
import { CommandFailedError, SshPool, type SshTarget } from '../../src/ssh';
import { keygen } from '../helpers/sshd';

let dir: string;
let server: Server;
let proxy: TcpServer;
let pool: SshPool;
let target: SshTarget;

/** Forwards to port, passing the server's bytes on in one write once it has been quiet for `quietMs`. */
function coalescingProxy(port: number, quietMs: number): Promise<TcpServer> {
  const tcp = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port });
    let held: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    upstream.on('data', (chunk: Buffer) => {
      held.push(chunk);
      clearTimeout(timer);
      timer = setTimeout(() => {
        client.write(Buffer.concat(held));
        held = [];
      }, quietMs);
    });
    client.pipe(upstream);
    const end = () => {
      clearTimeout(timer);
      client.destroy();
      upstream.destroy();
    };
    upstream.on('close', end).on('error', end);
    client.on('close', end).on('error', end);
  });
  return new Promise((resolve) => tcp.listen(0, '127.0.0.1', () => resolve(tcp)));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hakube-exit-'));
  const hostKey = keygen(join(dir, 'host'));
  keygen(join(dir, 'client'));
  server = new Server({ hostKeys: [readFileSync(join(dir, 'host'))] }, (client) => {
    client.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey'])));
    client.on('session', (accept) => {
      accept().on('exec', (acceptExec, _reject, info) => {
        const ch = acceptExec();
        ch.write('out\n');
        if (info.command.includes('by-signal')) ch.exit('KILL', false, '');
        else ch.exit(info.command.includes('fail') ? 3 : info.command.includes('missing') ? 1 : 0);
        ch.end();
      });
    });
    client.on('error', () => undefined);
  });
  const sshPort = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  proxy = await coalescingProxy(sshPort, 100);
  const port = (proxy.address() as { port: number }).port;
  const knownHostsPath = join(dir, 'known_hosts');
  writeFileSync(knownHostsPath, `[127.0.0.1]:${port} ${hostKey}\n`);
  target = { host: 'k1', address: '127.0.0.1', port, user: 'root', privateKeyPath: join(dir, 'client'), knownHostsPath };
  pool = new SshPool();
});

after(() => {
  pool?.closeAll();
  proxy?.close();
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a quick command keeps its exit status when the reply arrives in one piece', async () => {
  const conn = await pool.get(target);
  for (let i = 0; i < 2; i++) {
    const ok = await conn.run(['test', '-f', '/etc/kubernetes/kubelet.conf']);
    assert.equal(ok.exitCode, 0);
    assert.equal(ok.stdoutTail.trim(), 'out');
    assert.equal((await conn.run(['fail'], { okExitCodes: [3] })).exitCode, 3);
    assert.equal(await conn.fileExists('/missing'), false);
    assert.equal(await conn.readFile('/etc/hostname'), 'out\n');
  }
  // Killed by a signal: reported as such, not as a lost connection.
  const killed = await conn.run(['by-signal']).catch((err: unknown) => err);
  assert.ok(killed instanceof CommandFailedError, String(killed));
  assert.match(killed.message, /KILL/);
  assert.ok(conn.connected);
});
