/**
 * Real haproxy and nginx (stream module) on lab hosts pass TCP to backends on other hosts and
 * stop sending to a backend that died.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { startLab, TestLab } from '../helpers/lab';

const PORT = 9000;
// Answers every connection with its host's name: which backend served is visible to the client.
const BACKEND = `setsid -f perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(LocalPort => 8080, Listen => 64, ReuseAddr => 1) or die $!; chomp($h = \`hostname\`); while ($c = $s->accept) { print $c "$h\\n"; close $c }' >/dev/null 2>&1 </dev/null`;

function fetch(address: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const s = createConnection({ host: address, port: PORT, timeout: 5000 });
    s.setEncoding('utf8').on('data', (d: string) => (data += d));
    s.on('end', () => resolve(data.trim()));
    s.on('timeout', () => s.destroy(new Error('timeout')));
    s.on('error', reject);
  });
}

async function answers(address: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await fetch(address).catch((e: Error) => `error: ${e.message}`));
  return out;
}

async function eventually(fn: () => Promise<boolean>, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('lab L4 proxies', () => {
  let lab: TestLab;

  before(async () => {
    lab = await startLab({ prefix: 'proxy', hosts: ['lb1', 'lb2', 'b1', 'b2'] });
    for (const b of ['b1', 'b2']) assert.equal((await lab.ssh(b, BACKEND)).code, 0);
    const [b1, b2] = [lab.address.b1, lab.address.b2];
    const haproxy = [
      'global', '  pidfile /run/haproxy-lab.pid', 'defaults', '  mode tcp', '  timeout connect 1s', '  timeout client 10s', '  timeout server 10s',
      '  retries 1', '  option redispatch',
      `frontend fe`, `  bind *:${PORT}`, '  default_backend be',
      'backend be', '  balance roundrobin',
      `  server b1 ${b1}:8080 check inter 300ms fall 1 rise 1`, `  server b2 ${b2}:8080 check inter 300ms fall 1 rise 1`, '',
    ].join('\n');
    let r = await lab.ssh('lb1', 'cat > /etc/haproxy/lab.cfg && haproxy -c -f /etc/haproxy/lab.cfg && haproxy -D -f /etc/haproxy/lab.cfg', { input: haproxy });
    assert.equal(r.code, 0, r.stderr);
    const nginx = [
      'load_module /usr/lib/nginx/modules/ngx_stream_module.so;', 'pid /run/nginx-lab.pid;', 'error_log /var/log/nginx-lab.log;',
      'events { worker_connections 64; }', 'worker_processes 1;',
      'stream {', '  upstream be {', `    server ${b1}:8080 max_fails=1 fail_timeout=30s;`, `    server ${b2}:8080 max_fails=1 fail_timeout=30s;`, '  }',
      `  server { listen ${PORT}; proxy_pass be; proxy_connect_timeout 1s; }`, '}', '',
    ].join('\n');
    r = await lab.ssh('lb2', 'cat > /etc/nginx/lab-stream.conf && nginx -t -c /etc/nginx/lab-stream.conf && nginx -c /etc/nginx/lab-stream.conf', { input: nginx });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await lab?.down();
  });

  it('haproxy and nginx spread connections over both backends', async () => {
    for (const lb of ['lb1', 'lb2']) {
      await eventually(async () => new Set(await answers(lab.address[lb], 4)).size === 2);
      assert.deepEqual(new Set(await answers(lab.address[lb], 6)), new Set(['b1', 'b2']), lb);
    }
  });

  it('both drop a dead backend and keep serving from the live one', async () => {
    await lab.fault('b1', 'kill', 'perl');
    assert.equal((await lab.ssh('b1', 'ss -ltn | grep -c :8080')).stdout.trim(), '0');
    for (const lb of ['lb1', 'lb2']) {
      // haproxy's health check marks b1 down; nginx moves to the next upstream on refusal.
      await eventually(async () => (await answers(lab.address[lb], 4)).every((a) => a === 'b2'));
      assert.deepEqual(await answers(lab.address[lb], 6), Array(6).fill('b2'), lb);
    }
  });
});
