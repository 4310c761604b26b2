import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmCodec, ENCRYPTED_ENCODING, SEALED_FIELD, SEALED_METADATA } from '../../src/temporal/codec';
import { KeyRing } from '../../src/temporal/keyring';
import { historyFromJSON } from '../../src/temporal/history';
import { loadCodecKeys, rotateCodecKey } from '../../src/temporal/codec-key';
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

test('only the secret values of a payload are sealed; the rest stays readable JSON, and it round-trips', async () => {
  const codec = new AesGcmCodec(randomBytes(32));
  const value = { cluster: 'lab1', hosts: ['m1', 'm2'], runtime: { joinToken: secret(TOKEN), certificateKey: secret('a3f1'.repeat(16)) } };
  const [encoded] = await codec.encode([toPayload(value)]);
  assert.equal(encoding(encoded), 'json/plain');
  assert.equal(Buffer.from(encoded.metadata![SEALED_METADATA]!).toString(), codec.keyId);
  const stored = JSON.parse(Buffer.from(encoded.data!).toString()) as { cluster: string; hosts: string[]; runtime: Record<string, { [SEALED_FIELD]: string }> };
  assert.equal(stored.cluster, 'lab1');
  assert.deepEqual(stored.hosts, ['m1', 'm2']);
  assert.equal(typeof stored.runtime.joinToken[SEALED_FIELD], 'string');
  const bytes = Buffer.from(encoded.data!);
  assert.ok(!bytes.includes(TOKEN) && !bytes.includes('a3f1a3f1'), 'secret bytes absent from the encoded payload');
  assert.ok(!bytes.includes(Buffer.from(TOKEN).toString('base64').slice(0, 12)));
  const [decoded] = await codec.decode([encoded]);
  assert.deepEqual(fromPayload(decoded), value);
  assert.equal(decoded.metadata![SEALED_METADATA], undefined);
});

test('a sealed value is bound to its place and to the metadata: moved or edited, it fails authentication', async () => {
  const codec = new AesGcmCodec(randomBytes(32));
  const [encoded] = await codec.encode([toPayload({ a: secret('one'), b: secret('two') })]);
  const doc = JSON.parse(Buffer.from(encoded.data!).toString()) as Record<string, unknown>;
  const swapped = { ...encoded, data: Buffer.from(JSON.stringify({ a: doc.b, b: doc.a })) };
  await assert.rejects(codec.decode([swapped]), /failed authentication/);
  const edited = { ...encoded, metadata: { ...encoded.metadata, extra: Buffer.from('x') } };
  await assert.rejects(codec.decode([edited]), /failed authentication/);
  const [whole] = await new AesGcmCodec(randomBytes(32), { encryptAll: true }).encode([toPayload('etcd')]);
  const other = new AesGcmCodec(randomBytes(32), { encryptAll: true });
  const [mine] = await other.encode([toPayload('etcd')]);
  const relabeled = { ...mine, metadata: { ...mine.metadata, 'encryption-cipher': Buffer.from('AES-128-GCM') } };
  await assert.rejects(other.decode([relabeled]), /failed authentication/);
  assert.equal(encoding(whole), ENCRYPTED_ENCODING);
});

test('the marker name inside plain text is no secret: such a payload passes unchanged', async () => {
  const codec = new AesGcmCodec(randomBytes(32));
  const plain = toPayload({ tail: 'grep __hakubeSecret' });
  const [encoded] = await codec.encode([plain]);
  assert.equal(encoded, plain);
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
  const [encoded] = await new AesGcmCodec(randomBytes(32)).encode([toPayload({ t: secret(TOKEN) })]);
  await assert.rejects(new AesGcmCodec(randomBytes(32)).decode([encoded]), /encrypted with codec key \w+ but this process has keys \w+/);
  const [whole] = await new AesGcmCodec(randomBytes(32)).encode([toPayload(secret(TOKEN))]);
  assert.equal(encoding(whole), 'json/plain', 'a bare secret is sealed in place too');
});

test('tampered ciphertext fails authentication', async () => {
  const codec = new AesGcmCodec(randomBytes(32));
  const [encoded] = await new AesGcmCodec(randomBytes(32), { encryptAll: true }).encode([toPayload(secret(TOKEN))]);
  await assert.rejects(codec.decode([encoded]), /encrypted with codec key/);
  const [mine] = await new AesGcmCodec(codec['ring'], { encryptAll: true }).encode([toPayload(secret(TOKEN))]);
  const data = Buffer.from(mine.data!);
  data[20] ^= 0x01;
  await assert.rejects(codec.decode([{ ...mine, data }]), /failed authentication/);
});

test('a key must be 32 bytes', () => {
  assert.throws(() => new AesGcmCodec(randomBytes(16)), /32 bytes/);
});

test('the keys come from HAKUBE_CODEC_KEY, HAKUBE_CODEC_KEY_FILE (0600 only), or a 0600 file created once', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hakube-key-'));
  try {
    const key = randomBytes(32);
    assert.deepEqual(loadCodecKeys({ HAKUBE_CODEC_KEY: key.toString('base64') }).ring.current, key);
    assert.throws(() => loadCodecKeys({ HAKUBE_CODEC_KEY: 'c2hvcnQ=' }), /32 bytes/);
    const two = randomBytes(32);
    const env2 = loadCodecKeys({ HAKUBE_CODEC_KEY: `${key.toString('base64')},${two.toString('base64')}` }).ring;
    assert.deepEqual(env2.current, two, 'the last key listed is current');
    assert.equal(env2.ids.length, 2);

    const file = path.join(home, 'given.key');
    fs.writeFileSync(file, key.toString('base64') + '\n', { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    assert.throws(() => loadCodecKeys({ HAKUBE_CODEC_KEY_FILE: file }), /has mode 0644: .*chmod 600/);
    fs.chmodSync(file, 0o600);
    assert.deepEqual(loadCodecKeys({ HAKUBE_CODEC_KEY_FILE: file }).ring.current, key);
    assert.throws(() => loadCodecKeys({ HAKUBE_CODEC_KEY_FILE: path.join(home, 'missing') }), /cannot read HAKUBE_CODEC_KEY_FILE/);

    const first = loadCodecKeys({ HAKUBE_HOME: home });
    assert.equal(first.source, path.join(home, 'codec.key'));
    assert.equal(fs.statSync(first.source).mode & 0o777, 0o600);
    assert.deepEqual(loadCodecKeys({ HAKUBE_HOME: home }).ring.current, first.ring.current, 'the created key is reused');
    fs.chmodSync(first.source, 0o640);
    assert.throws(() => loadCodecKeys({ HAKUBE_HOME: home }), /has mode 0640/);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test('rotation adds a current key; payloads sealed before it still decode, new ones use the new key', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hakube-rotate-'));
  try {
    const env = { HAKUBE_HOME: home };
    const before = loadCodecKeys(env);
    const oldCodec = new AesGcmCodec(before.ring);
    const [old] = await oldCodec.encode([toPayload({ host: 'm2', token: secret(TOKEN) })]);

    const rotated = rotateCodecKey(env);
    assert.notEqual(rotated.id, before.ring.currentId);
    assert.deepEqual(rotated.ids, [before.ring.currentId, rotated.id]);
    assert.equal(fs.statSync(rotated.file).mode & 0o777, 0o600);
    const after = loadCodecKeys(env).ring;
    assert.equal(after.currentId, rotated.id);

    const codec = new AesGcmCodec(after);
    assert.deepEqual(fromPayload((await codec.decode([old]))[0]), { host: 'm2', token: secret(TOKEN) });
    const [fresh] = await codec.encode([toPayload({ token: secret(TOKEN) })]);
    assert.equal(Buffer.from(fresh.metadata![SEALED_METADATA]!).toString(), rotated.id);

    // A process started before the rotation learns the new key from the file when it meets it.
    const running = new AesGcmCodec(before.ring, { reload: () => loadCodecKeys(env).ring });
    assert.deepEqual(fromPayload((await running.decode([fresh]))[0]), { token: secret(TOKEN) });
    assert.throws(() => rotateCodecKey({ HAKUBE_CODEC_KEY: randomBytes(32).toString('base64') }), /come from HAKUBE_CODEC_KEY/);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test('a recorded history written before rotation (first codec format) decodes with the rotated ring', async () => {
  // test/histories were recorded with this fixed test key and the whole-payload format.
  const recordedKey = Buffer.alloc(32, 11);
  const ring = new KeyRing([recordedKey, randomBytes(32)]);
  assert.notEqual(ring.currentId, new KeyRing([recordedKey]).currentId);
  const codec = new AesGcmCodec(ring);
  const history = historyFromJSON(fs.readFileSync(path.join(__dirname, '../histories/deploy-join-master-failed.json'), 'utf8'));
  const payloads: Payload[] = [];
  const walk = (v: unknown): void => {
    if (v && typeof v === 'object') {
      const o = v as { metadata?: Record<string, Uint8Array>; data?: Uint8Array };
      if (o.metadata?.encoding && Buffer.from(o.metadata.encoding).toString() === ENCRYPTED_ENCODING) payloads.push(o as Payload);
      else Object.values(v).forEach(walk);
    }
  };
  walk(history.events);
  assert.ok(payloads.length > 0, 'the recording holds encrypted payloads');
  const decoded = (await codec.decode(payloads)).map((p) => JSON.stringify(fromPayload(p)));
  assert.ok(decoded.some((d) => d.includes('__hakubeSecret') && d.includes('"m3"')), 'the join input with its secrets decodes');
});

test('hakube codec rotate and codec keys from the command line; a group-readable key file is refused', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hakube-cli-rotate-'));
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(__dirname, '../../bin/hakube.js'), 'codec', ...args], { env: { ...process.env, HAKUBE_CODEC_KEY: '', HAKUBE_CODEC_KEY_FILE: '', HAKUBE_HOME: home }, encoding: 'utf8' });
  try {
    const first = run('keys');
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /^[0-9a-f]{16} {2}\(current: encrypts\)\nfrom /);
    const rotated = run('rotate');
    assert.equal(rotated.status, 0, rotated.stderr);
    const id = /added codec key ([0-9a-f]{16})/.exec(rotated.stdout)![1];
    const keys = run('keys').stdout.trim().split('\n');
    assert.equal(keys.length, 3);
    assert.equal(keys[1], `${id}  (current: encrypts)`);
    assert.ok(!rotated.stdout.includes(fs.readFileSync(path.join(home, 'codec.key'), 'utf8').trim().split('\n').pop()!), 'a key itself is never printed');
    fs.chmodSync(path.join(home, 'codec.key'), 0o644);
    const refused = run('keys');
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^hakube: codec key file .* has mode 0644: .*chmod 600/);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});
