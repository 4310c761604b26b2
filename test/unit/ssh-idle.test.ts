import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SshPool } from '../../src/ssh';
import { FakeHosts } from '../helpers/fake-hosts';

test('the SSH pool closes a connection once it was idle for idleCloseMs, and dials again when asked', async () => {
  const fakes = new FakeHosts();
  const pool = new SshPool({ transport: fakes.transport, idleCloseMs: 100_000 });
  const target = (host: string, n: number) => ({ host, address: `10.40.0.${n}`, port: 22, user: 'root', privateKeyPath: fakes.privateKeyPath, knownHostsPath: fakes.knownHostsPath });
  try {
    const busy = await pool.get(target('w1', 1));
    const idle = await pool.get(target('w2', 2));
    await idle.run(['true']);
    assert.equal(pool.size, 2);
    // A command still running keeps its connection however old it is.
    const running = busy.run(['sleep-like']);
    pool.sweep(Date.now() + 200_000);
    assert.equal(pool.size, 1);
    assert.equal(idle.connected, false);
    await running;
    pool.sweep(Date.now() + 50_000);
    assert.equal(pool.size, 1, 'used just now: not idle long enough');
    pool.sweep(Date.now() + 200_000);
    assert.equal(pool.size, 0);
    await (await pool.get(target('w2', 2))).run(['true']);
    assert.equal(fakes.dials, 3);
  } finally {
    pool.closeAll();
  }
});

test('the SSH pool keeps at most maxIdle idle connections, closing the least recently used first', async () => {
  const fakes = new FakeHosts();
  const pool = new SshPool({ transport: fakes.transport, idleCloseMs: 0, maxIdle: 2 });
  const target = (host: string, n: number) => ({ host, address: `10.41.0.${n}`, port: 22, user: 'root', privateKeyPath: fakes.privateKeyPath, knownHostsPath: fakes.knownHostsPath });
  const use = async (host: string, n: number) => {
    const c = await pool.get(target(host, n));
    await c.run(['true']);
    return c;
  };
  try {
    const w1 = await use('w1', 1);
    const w2 = await use('w2', 2);
    const w3 = await use('w3', 3);
    assert.equal(pool.size, 3, 'two idle besides the one just asked for');
    await use('w1', 1);
    // w2 is now the least recently used idle connection.
    await use('w4', 4);
    assert.equal(pool.size, 3);
    assert.equal(w2.connected, false);
    assert.equal(w1.connected, true);
    await use('w3', 3);
    await use('w5', 5);
    assert.equal(w3.connected, true, 'used again: more recent than w1');
    assert.equal(w1.connected, false);
    assert.equal(pool.size, 3);
    assert.equal(fakes.dials, 5);
  } finally {
    pool.closeAll();
  }
});
