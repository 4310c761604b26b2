/**
 * Temporal's remote codec protocol over HTTP, for the Web UI: POST `.../encode` and
 * `.../decode` take and return `{ payloads: [...] }` (protobuf JSON: metadata values and data
 * in base64); only the last path segment names the operation. Browsers reach it across origins,
 * so CORS answers only the configured UI origins. With a token, a request must carry it as
 * `Authorization: Bearer <token>` or as the path segment before the operation
 * (`--ui-codec-endpoint http://127.0.0.1:8234/<token>`), since the dev server's UI sends no
 * credentials of its own.
 */
import * as http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Origins allowed to call from a browser (the Web UI's), e.g. http://127.0.0.1:8233. */
  origins: string[];
  token?: string;
  /** When set, a request naming another namespace in X-Namespace is refused. */
  namespace?: string;
  /** Largest request body accepted. */
  maxBytes?: number;
}

interface JsonPayload {
  metadata?: Record<string, string> | null;
  data?: string | null;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization';

export function createCodecServer(opts: CodecServerOptions): http.Server {
  const origins = new Set(opts.origins.map(normalizeOrigin));
  const maxBytes = opts.maxBytes ?? 8 * 1024 * 1024;
  return http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 400;
      reply(res, status, { message: err instanceof Error ? err.message : String(err) });
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!origins.has(normalizeOrigin(origin))) throw new HttpError(403, `origin ${origin} is not allowed: start the codec server with --ui-origin ${origin}`);
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    const url = new URL(req.url ?? '/', 'http://codec.invalid');
    const segments = url.pathname.split('/').filter(Boolean);
    const op = segments[segments.length - 1];
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      res.writeHead(204).end();
      return;
    }
    if (op !== 'encode' && op !== 'decode') throw new HttpError(404, 'not found: POST .../encode or .../decode');
    if (req.method !== 'POST') throw new HttpError(405, `${req.method} not allowed: POST .../${op}`);
    if (opts.token !== undefined && !tokenMatches(opts.token, req, segments)) throw new HttpError(401, 'missing or wrong codec server token');
    const ns = req.headers['x-namespace'];
    if (opts.namespace && typeof ns === 'string' && ns !== opts.namespace) {
      throw new HttpError(403, `this codec server serves namespace ${opts.namespace}, not ${ns}`);
    }
    const body = await readBody(req, maxBytes);
    let payloads: Payload[];
    try {
      const parsed = JSON.parse(body) as { payloads?: JsonPayload[] };
      if (!Array.isArray(parsed.payloads)) throw new Error('no payloads array');
      payloads = parsed.payloads.map(fromJson);
    } catch (err) {
      throw new HttpError(400, `invalid request body: ${(err as Error).message}`);
    }
    const result = op === 'decode' ? await opts.codec.decode(payloads) : await opts.codec.encode(payloads);
    reply(res, 200, { payloads: result.map(toJson) });
  }
}

function tokenMatches(token: string, req: http.IncomingMessage, segments: string[]): boolean {
  const given: string[] = [];
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) given.push(auth.slice(7).trim());
  if (segments.length >= 2) given.push(decodeURIComponent(segments[segments.length - 2]));
  const want = Buffer.from(token);
  return given.some((g) => {
    const b = Buffer.from(g);
    return b.length === want.length && timingSafeEqual(b, want);
  });
}

function normalizeOrigin(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch {
    return origin;
  }
}

function readBody(req: http.IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        reject(new HttpError(413, `request body over ${maxBytes} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(body));
}

function fromJson(p: JsonPayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = Buffer.from(v, 'base64');
  return { metadata, data: p.data == null ? undefined : Buffer.from(p.data, 'base64') };
}

function toJson(p: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) if (v) metadata[k] = Buffer.from(v).toString('base64');
  return { metadata, data: p.data == null ? undefined : Buffer.from(p.data).toString('base64') };
}
