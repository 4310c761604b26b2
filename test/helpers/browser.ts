/**
 * Headless Chromium (Debian's package) for Web UI tests: the DOM of a page once the SPA has
 * loaded its data, and the text a reader sees in it.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const run = promisify(execFile);

export function chromiumBinary(): string {
  for (const name of ['chromium', 'chromium-browser']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0) return r.stdout.trim();
  }
  throw new Error('headless Chromium is missing: run `npm run setup` (Debian package chromium)');
}

/**
 * The page's DOM after its scripts ran; virtual time lets the SPA's fetches finish first.
 * Asynchronous on purpose: a codec server in this very process must keep answering meanwhile.
 */
export async function renderedDom(url: string): Promise<string> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'hakube-chromium-'));
  try {
    const { stdout } = await run(
      chromiumBinary(),
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', `--user-data-dir=${profile}`, '--virtual-time-budget=20000', '--dump-dom', url],
      { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout;
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/** The text a reader sees: tags (the UI's code view puts each JSON token in its own) become spaces. */
export function visibleText(dom: string): string {
  return dom
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

export async function freePort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}
