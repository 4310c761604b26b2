import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../src/temporal/codec';
import { loadCodecKey } from '../../src/temporal/codec-key';
import { isSecret, reveal, secret } from '../../src/temporal/secret';

const TOKEN = 'abcdef.0123456789abcdef';
const toPayload = (v: unknown): Payload => defaultPayloadConverter.toPayload(v);
const fromPayload = (p: Payload): unknown => defaultPayloadConverter.fromPayload(p);
const encoding = (p: Payload): string => Buffer.from(p.metadata!.encoding!).toString();

test('secret() wraps and reveal() unwraps; plain values pass through', () => {
  const s = secret(TOKEN);
  assert.ok(isSecret(s));
  assert.equal(reveal(s), TOKEN);
  assert.equal(reveal('plain'), 'plain');
  assert.ok(!isSecret({ token: TOKEN }));
});

test('a payload holding a secret is encrypted and round-trips', async () => {
  const codec = new AesGcmCodec(randomBytes(32));
  const value = { cluster: 'lab1', token: secret(TOKEN) };
  const [encoded] = await codec.encode([toPayload(value)]);
  assert.equal(encoding(encoded), ENCRYPTED_ENCODING);
  assert.equal(Buffer.from(encoded.metadata![KEY_ID_METADATA]!).toString(), codec.keyId);
  const bytes = Buffer.from(encoded.data!);
  assert.ok(!bytes.includes(TOKEN), 'secret bytes absent from the encoded payload');
  assert.ok(!bytes.includes(Buffer.from(TOKEN).toString('base64').slice(0, 12)));
  const [decoded] = await codec.decode([encoded]);
  assert.deepEqual(fromPayload(decoded), value);
});

test('payloads without a secret pass through unchanged', async () => {
  const codec = new AesGcmCodec(randomBytes(32));
  const plain = toPayload({ phase: 'etcd', summary: '3 members healthy' });
  const [encoded] = await codec.encode([plain]);
  assert.equal(encoded, plain);
  assert.equal(encoding(encoded), 'json/plain');
  const [decoded] = await codec.decode([encoded]);
  assert.deepEqual(fromPayload(decoded), { phase: 'etcd', summary: '3 members healthy' });
});

test('encryptAll encrypts plain payloads too, and the same value encrypts differently each time', async () => {
  const codec = new AesGcmCodec(randomBytes(32), { encryptAll: true });
  const [a, b] = await codec.encode([toPayload('etcd'), toPayload('etcd')]);
  assert.equal(encoding(a), ENCRYPTED_ENCODING);
  assert.notDeepEqual(Buffer.from(a.data!), Buffer.from(b.data!));
  assert.deepEqual((await codec.decode([a, b])).map(fromPayload), ['etcd', 'etcd']);
});

test('decoding with another key fails with a clear error', async () => {
  const [encoded] = await new AesGcmCodec(randomBytes(32)).encode([toPayload(secret(TOKEN))]);
  await assert.rejects(new AesGcmCodec(randomBytes(32)).decode([encoded]), /encrypted with codec key \w+ but this process has key \w+/);
});

test('tampered ciphertext fails authentication', async () => {
  const codec = new AesGcmCodec(randomBytes(32));
  const [encoded] = await codec.encode([toPayload(secret(TOKEN))]);
  const data = Buffer.from(encoded.data!);
  data[20] ^= 0x01;
  await assert.rejects(codec.decode([{ ...encoded, data }]), /failed authentication/);
});

test('a key must be 32 bytes', () => {
  assert.throws(() => new AesGcmCodec(randomBytes(16)), /32 bytes/);
});

test('the key comes from HAKUBE_CODEC_KEY, HAKUBE_CODEC_KEY_FILE, or a 0600 file created once', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hakube-key-'));
  try {
    const key = randomBytes(32);
    assert.deepEqual(loadCodecKey({ HAKUBE_CODEC_KEY: key.toString('base64') }).key, key);
    assert.throws(() => loadCodecKey({ HAKUBE_CODEC_KEY: 'c2hvcnQ=' }), /32 bytes/);

    const file = path.join(home, 'given.key');
    fs.writeFileSync(file, key.toString('base64') + '\n');
    assert.deepEqual(loadCodecKey({ HAKUBE_CODEC_KEY_FILE: file }).key, key);
    assert.throws(() => loadCodecKey({ HAKUBE_CODEC_KEY_FILE: path.join(home, 'missing') }), /cannot read HAKUBE_CODEC_KEY_FILE/);

    const first = loadCodecKey({ HAKUBE_HOME: home });
    assert.equal(first.source, path.join(home, 'codec.key'));
    assert.equal(fs.statSync(first.source).mode & 0o777, 0o600);
    assert.deepEqual(loadCodecKey({ HAKUBE_HOME: home }).key, first.key, 'the created key is reused');
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});
