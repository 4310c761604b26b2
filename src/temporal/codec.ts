/**
 * AES-256-GCM payload codec. It encrypts only payloads that carry a secret marker (or all of
 * them with HAKUBE_ENCRYPT_ALL=1) so that the Web UI still shows phase names, summaries and
 * progress in plain text while tokens and certificate keys are stored encrypted.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { SECRET_MARKER } from './secret';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const CIPHER_METADATA = 'encryption-cipher';
const CIPHER = 'AES-256-GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;
// Binds ciphertexts to this envelope format, so a blob from another scheme cannot be fed in.
const AAD = Buffer.from('hakube-payload-v1');
const MARKER_BYTES = Buffer.from(JSON.stringify(SECRET_MARKER));
const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');

export class CodecKeyError extends Error {
  override name = 'CodecKeyError';
}

/** A short, non-secret fingerprint of a key: tells which key encrypted a payload. */
export function keyId(key: Uint8Array): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

export interface AesGcmCodecOptions {
  /** Encrypt every payload, not only those carrying a secret marker. */
  encryptAll?: boolean;
}

export class AesGcmCodec implements PayloadCodec {
  readonly keyId: string;
  private readonly key: Buffer;
  private readonly encryptAll: boolean;

  constructor(key: Uint8Array, options: AesGcmCodecOptions = {}) {
    if (key.length !== 32) throw new CodecKeyError(`codec key must be 32 bytes, got ${key.length}`);
    this.key = Buffer.from(key);
    this.keyId = keyId(this.key);
    this.encryptAll = options.encryptAll ?? false;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => (this.shouldEncrypt(p) ? this.encrypt(p) : p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => (isEncrypted(p) ? this.decrypt(p) : p));
  }

  private shouldEncrypt(p: Payload): boolean {
    if (isEncrypted(p)) return false;
    if (this.encryptAll) return true;
    return p.data != null && Buffer.from(p.data).includes(MARKER_BYTES);
  }

  private encrypt(p: Payload): Payload {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(AAD);
    const body = cipher.update(serialize(p));
    const final = cipher.final();
    return {
      metadata: {
        encoding: utf8(ENCRYPTED_ENCODING),
        [CIPHER_METADATA]: utf8(CIPHER),
        [KEY_ID_METADATA]: utf8(this.keyId),
      },
      data: Buffer.concat([iv, body, final, cipher.getAuthTag()]),
    };
  }

  private decrypt(p: Payload): Payload {
    const id = p.metadata?.[KEY_ID_METADATA] ? Buffer.from(p.metadata[KEY_ID_METADATA]).toString('utf8') : '?';
    if (id !== this.keyId) {
      throw new CodecKeyError(
        `payload was encrypted with codec key ${id} but this process has key ${this.keyId}: ` +
          'set HAKUBE_CODEC_KEY or HAKUBE_CODEC_KEY_FILE to the key the run was started with',
      );
    }
    const data = Buffer.from(p.data ?? []);
    if (data.length < IV_BYTES + TAG_BYTES) throw new CodecKeyError('encrypted payload is truncated');
    const decipher = createDecipheriv('aes-256-gcm', this.key, data.subarray(0, IV_BYTES)).setAAD(AAD);
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new CodecKeyError(`encrypted payload failed authentication (key ${this.keyId}): corrupt or tampered`);
    }
    return deserialize(plain);
  }
}

function isEncrypted(p: Payload): boolean {
  const enc = p.metadata?.encoding;
  return enc != null && Buffer.from(enc).toString('utf8') === ENCRYPTED_ENCODING;
}

// The inner payload is kept as a small JSON envelope (metadata + data in base64) so the codec
// needs no protobuf dependency of its own.
interface Envelope {
  m: Record<string, string>;
  d: string;
}

function serialize(p: Payload): Buffer {
  const m: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) if (v) m[k] = Buffer.from(v).toString('base64');
  const env: Envelope = { m, d: Buffer.from(p.data ?? []).toString('base64') };
  return Buffer.from(JSON.stringify(env), 'utf8');
}

function deserialize(buf: Buffer): Payload {
  const env = JSON.parse(buf.toString('utf8')) as Envelope;
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(env.m)) metadata[k] = Buffer.from(v, 'base64');
  return { metadata, data: Buffer.from(env.d, 'base64') };
}
