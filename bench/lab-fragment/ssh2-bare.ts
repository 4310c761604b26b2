/**
 * The SSH limit for the fragment: the `ssh2` package alone, one connection per host kept for the
 * run, the same three steps as plain execs (write the file from stdin, cat it, run a command),
 * host keys checked against the lab's known_hosts, `concurrency` hosts at once. No retries,
 * heartbeats, idempotency checks or masking: what any tool doing this over SSH must pay at least.
 */
import { readFileSync } from 'node:fs';
import { Client } from 'ssh2';
import { FRAGMENT_FILE } from './activities';

export interface BareHost {
  name: string;
  address: string;
}

export interface BareOptions {
  port: number;
  user: string;
  privateKeyPath: string;
  knownHostsPath: string;
}

function knownKeys(path: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const l of readFileSync(path, 'utf8').split('\n')) {
    const [names, , key] = l.trim().split(/\s+/);
    if (names && key) for (const n of names.split(',')) keys.set(n, key);
  }
  return keys;
}

function exec(c: Client, command: string, stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    c.exec(command, (err, ch) => {
      if (err) return reject(err);
      let out = '';
      ch.on('data', (d: Buffer) => (out += d.toString()));
      ch.stderr.on('data', () => undefined);
      ch.on('close', (code: number) => (code === 0 ? resolve(out) : reject(new Error(`${command}: exit ${code}`))));
      ch.end(stdin);
    });
  });
}

export class BareSsh {
  private readonly conns = new Map<string, Client>();
  private readonly keys: Map<string, string>;
  private readonly key: Buffer;

  constructor(private readonly opts: BareOptions) {
    this.keys = knownKeys(opts.knownHostsPath);
    this.key = readFileSync(opts.privateKeyPath);
  }

  private connect(h: BareHost): Promise<Client> {
    const have = this.conns.get(h.name);
    if (have) return Promise.resolve(have);
    const want = this.keys.get(this.opts.port === 22 ? h.address : `[${h.address}]:${this.opts.port}`);
    return new Promise((resolve, reject) => {
      const c = new Client();
      c.on('ready', () => {
        this.conns.set(h.name, c);
        resolve(c);
      });
      c.on('error', reject);
      c.connect({
        host: h.address,
        port: this.opts.port,
        username: this.opts.user,
        privateKey: this.key,
        hostVerifier: (key: Buffer) => want !== undefined && key.toString('base64') === want,
      });
    });
  }

  /** The fragment on every host; resolves with the number of steps done. */
  async run(hosts: BareHost[], concurrency: number, payload: string): Promise<number> {
    const queue = [...hosts];
    let steps = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
        for (let h = queue.shift(); h !== undefined; h = queue.shift()) {
          const c = await this.connect(h);
          await exec(c, `cat > ${FRAGMENT_FILE}`, payload);
          const back = await exec(c, `cat -- ${FRAGMENT_FILE}`);
          if (back !== payload) throw new Error(`${h.name}: read back ${JSON.stringify(back)}`);
          await exec(c, 'uname -r');
          steps += 3;
        }
      }),
    );
    return steps;
  }

  close(): void {
    for (const c of this.conns.values()) c.end();
    this.conns.clear();
  }
}
