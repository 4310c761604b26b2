import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type * as http from 'node:http';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmCodec } from '../../src/temporal/codec';
import { createCodecServer } from '../../src/temporal/codec-server';
import { DisplayCodec, SECRET_PLACEHOLDER } from '../../src/temporal/display-codec';
import { secret } from '../../src/temporal/secret';

const TOKEN = 'abcdef.0123456789abcdef';
const CERT_KEY = 'a3f1'.repeat(16);
const UI = 'http://127.0.0.1:8233';
const codec = new AesGcmCodec(randomBytes(32));
let server: http.Server;
let base: string;

const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});
const fromJson = (p: { metadata: Record<string, string>; data: string }): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});

before(async () => {
  server = createCodecServer({ codec: new DisplayCodec(codec), origins: [UI], token: 's3cret-token', namespace: 'default' });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

async function decode(payloads: Payload[], path = '/s3cret-token/decode', headers: Record<string, string> = {}) {
  return fetch(base + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: UI, 'X-Namespace': 'default', ...headers },
    body: JSON.stringify({ payloads: payloads.map(toJson) }),
  });
}

test('decode shows every field; secrets come back as the placeholder, from sealed and from whole-payload ciphertexts', async () => {
  const input = { cluster: 'ha-vip', host: 'm2', runtime: { joinToken: secret(TOKEN), certificateKey: secret(CERT_KEY) } };
  const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(input)]);
  const [whole] = await new AesGcmCodec(codec['ring'], { encryptAll: true }).encode([defaultPayloadConverter.toPayload(input)]);
  const plain = defaultPayloadConverter.toPayload({ phase: 'etcd' });
  const res = await decode([sealed, whole, plain]);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('access-control-allow-origin'), UI);
  const text = await res.text();
  assert.ok(!text.includes(Buffer.from(TOKEN).toString('base64').slice(0, 16)));
  const out = (JSON.parse(text) as { payloads: Array<{ metadata: Record<string, string>; data: string }> }).payloads.map(fromJson);
  const values = out.map((p) => defaultPayloadConverter.fromPayload(p));
  const shown = { cluster: 'ha-vip', host: 'm2', runtime: { joinToken: SECRET_PLACEHOLDER, certificateKey: SECRET_PLACEHOLDER } };
  assert.deepEqual(values, [shown, shown, { phase: 'etcd' }]);
  for (const p of out) {
    const bytes = Buffer.from(p.data!);
    assert.ok(!bytes.includes(TOKEN) && !bytes.includes(CERT_KEY), 'no secret value ever leaves the codec server');
  }
});

test('CORS: the UI origin gets a preflight answer, any other origin is refused', async () => {
  const pre = await fetch(`${base}/decode`, { method: 'OPTIONS', headers: { Origin: UI, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace' } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), UI);
  assert.match(pre.headers.get('access-control-allow-headers') ?? '', /X-Namespace/);
  assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/);
  const evil = await fetch(`${base}/decode`, { method: 'OPTIONS', headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' } });
  assert.equal(evil.status, 403);
  assert.equal(evil.headers.get('access-control-allow-origin'), null);
  assert.equal((await decode([], '/s3cret-token/decode', { Origin: 'http://evil.example' })).status, 403);
});

test('the token is required (path segment or bearer), the namespace is checked, and bad bodies are 400', async () => {
  assert.equal((await decode([], '/decode')).status, 401);
  assert.equal((await decode([], '/wrong/decode')).status, 401);
  assert.equal((await decode([], '/decode', { Authorization: 'Bearer s3cret-token' })).status, 200);
  assert.equal((await decode([], '/s3cret-token/decode', { 'X-Namespace': 'other' })).status, 403);
  assert.equal((await decode([], '/s3cret-token/nothing')).status, 404);
  const bad = await fetch(`${base}/s3cret-token/decode`, { method: 'POST', body: '{not json' });
  assert.equal(bad.status, 400);
});

test('encode seals secrets as the workers do, so the result decodes with the real codec', async () => {
  const res = await fetch(`${base}/s3cret-token/encode`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ payloads: [toJson(defaultPayloadConverter.toPayload({ t: secret(TOKEN) }))] }),
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
  const [encoded] = body.payloads.map(fromJson);
  assert.ok(!Buffer.from(encoded.data!).includes(TOKEN));
  assert.deepEqual(defaultPayloadConverter.fromPayload((await codec.decode([encoded]))[0]), { t: secret(TOKEN) });
});
