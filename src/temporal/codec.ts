/**
 * AES-256-GCM payload codec. It seals only the secret values inside a JSON payload (each
 * `{ __hakubeSecret: v }` becomes `{ __hakubeSealed: "<ciphertext>" }`), so the Web UI and any
 * client without the key still read every other field: cluster, hosts, phases, summaries.
 * HAKUBE_ENCRYPT_ALL=1 encrypts whole payloads instead.
 *
 * Every ciphertext's AAD is the payload's metadata (and, for a sealed value, its place in the
 * document), so a ciphertext moved to another payload or field, or metadata edited in history,
 * fails authentication. Keys come from a KeyRing: the current key encrypts, any key decrypts.
 * Payloads written by the first version (whole payload, fixed AAD) still decode.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { CodecKeyError, KeyRing } from './keyring';
import { SECRET_MARKER } from './secret';

export { CodecKeyError, keyId } from './keyring';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
/** On a JSON payload whose secret values are sealed: the key id that sealed them. */
export const SEALED_METADATA = 'hakube-sealed';
export const SEALED_FIELD = '__hakubeSealed';
const CIPHER_METADATA = 'encryption-cipher';
const FORMAT_METADATA = 'encryption-format';
const CIPHER = 'AES-256-GCM';
const FORMAT = 'hakube-v2';
const IV_BYTES = 12;
const TAG_BYTES = 16;
// The first format's fixed AAD: kept so payloads written before v2 still decode.
const AAD_V1 = Buffer.from('hakube-payload-v1');
const MARKER_BYTES = Buffer.from(JSON.stringify(SECRET_MARKER));
const SEALED_BYTES = Buffer.from(JSON.stringify(SEALED_FIELD));
const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const text = (b: Uint8Array | null | undefined): string | undefined => (b ? Buffer.from(b).toString('utf8') : undefined);

export interface AesGcmCodecOptions {
  /** Encrypt every payload, not only the secret values inside them. */
  encryptAll?: boolean;
  /** Re-reads the keys when a payload names a key this ring lacks (a rotation since start). */
  reload?: () => KeyRing;
}

export class AesGcmCodec implements PayloadCodec {
  private ring: KeyRing;
  private readonly encryptAll: boolean;
  private readonly reload?: () => KeyRing;

  constructor(keys: KeyRing | Uint8Array, options: AesGcmCodecOptions = {}) {
    this.ring = keys instanceof KeyRing ? keys : new KeyRing([keys]);
    this.encryptAll = options.encryptAll ?? false;
    this.reload = options.reload;
  }

  /** The id of the key that encrypts. */
  get keyId(): string {
    return this.ring.currentId;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encodeOne(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.decodeOne(p));
  }

  private encodeOne(p: Payload): Payload {
    if (isEncrypted(p) || isSealed(p)) return p;
    if (this.encryptAll) return this.encryptWhole(p);
    if (!hasBytes(p, MARKER_BYTES)) return p;
    if (text(p.metadata?.encoding) !== 'json/plain') return this.encryptWhole(p);
    const metadata = { ...p.metadata, [SEALED_METADATA]: utf8(this.ring.currentId) };
    const aad = metadataAad(metadata);
    let sealed = 0;
    const doc = mapSecrets(JSON.parse(Buffer.from(p.data ?? []).toString('utf8')), (value, at) => {
      sealed++;
      return { [SEALED_FIELD]: this.seal(Buffer.from(JSON.stringify(value), 'utf8'), aad, at) };
    });
    // The marker's name inside some text (a log tail) is no secret: nothing to seal.
    if (sealed === 0) return p;
    return { metadata, data: Buffer.from(JSON.stringify(doc), 'utf8') };
  }

  private decodeOne(p: Payload): Payload {
    if (isEncrypted(p)) return this.decryptWhole(p);
    if (!isSealed(p)) return p;
    const metadata = { ...p.metadata };
    const kid = text(metadata[SEALED_METADATA]) as string;
    const aad = metadataAad(metadata);
    const doc = mapSealed(JSON.parse(Buffer.from(p.data ?? []).toString('utf8')), (sealed, at) => ({
      [SECRET_MARKER]: JSON.parse(this.open(kid, sealed, aad, at).toString('utf8')) as unknown,
    }));
    delete metadata[SEALED_METADATA];
    return { metadata, data: Buffer.from(JSON.stringify(doc), 'utf8') };
  }

  private seal(plain: Buffer, aad: Buffer, at: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.ring.current, iv).setAAD(Buffer.concat([aad, utf8(at)]));
    return Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]).toString('base64');
  }

  private open(kid: string, sealed: string, aad: Buffer, at: string): Buffer {
    return this.decrypt(this.key(kid), Buffer.from(sealed, 'base64'), Buffer.concat([aad, utf8(at)]), kid);
  }

  private encryptWhole(p: Payload): Payload {
    const metadata = {
      encoding: utf8(ENCRYPTED_ENCODING),
      [CIPHER_METADATA]: utf8(CIPHER),
      [KEY_ID_METADATA]: utf8(this.ring.currentId),
      [FORMAT_METADATA]: utf8(FORMAT),
    };
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.ring.current, iv).setAAD(metadataAad(metadata));
    const body = Buffer.concat([cipher.update(serialize(p)), cipher.final()]);
    return { metadata, data: Buffer.concat([iv, body, cipher.getAuthTag()]) };
  }

  private decryptWhole(p: Payload): Payload {
    const kid = text(p.metadata?.[KEY_ID_METADATA]) ?? '?';
    const v2 = text(p.metadata?.[FORMAT_METADATA]) === FORMAT;
    const aad = v2 ? metadataAad(p.metadata ?? {}) : AAD_V1;
    return deserialize(this.decrypt(this.key(kid), Buffer.from(p.data ?? []), aad, kid));
  }

  private decrypt(key: Buffer, data: Buffer, aad: Buffer, kid: string): Buffer {
    if (data.length < IV_BYTES + TAG_BYTES) throw new CodecKeyError('encrypted payload is truncated');
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES)).setAAD(aad);
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new CodecKeyError(`encrypted payload failed authentication (key ${kid}): corrupt, tampered, or moved from another payload`);
    }
  }

  private key(kid: string): Buffer {
    let key = this.ring.get(kid);
    if (!key && this.reload) {
      this.ring = this.reload();
      key = this.ring.get(kid);
    }
    if (!key) {
      throw new CodecKeyError(
        `payload was encrypted with codec key ${kid} but this process has keys ${this.ring.ids.join(', ')}: ` +
          'set HAKUBE_CODEC_KEY or HAKUBE_CODEC_KEY_FILE to a key ring holding the key the run was started with',
      );
    }
    return key;
  }
}

export function isEncrypted(p: Payload): boolean {
  return text(p.metadata?.encoding) === ENCRYPTED_ENCODING;
}

export function isSealed(p: Payload): boolean {
  return p.metadata?.[SEALED_METADATA] != null && hasBytes(p, SEALED_BYTES);
}

function hasBytes(p: Payload, needle: Buffer): boolean {
  return p.data != null && Buffer.from(p.data).includes(needle);
}

/**
 * The metadata as AAD: every entry, sorted by name, length-prefixed so no two different maps
 * serialize alike.
 */
function metadataAad(metadata: Record<string, Uint8Array | null | undefined>): Buffer {
  const parts: Buffer[] = [Buffer.from(FORMAT)];
  for (const name of Object.keys(metadata).sort()) {
    const value = Buffer.from(metadata[name] ?? []);
    const n = Buffer.from(name, 'utf8');
    const len = Buffer.alloc(8);
    len.writeUInt32BE(n.length, 0);
    len.writeUInt32BE(value.length, 4);
    parts.push(len, n, value);
  }
  return Buffer.concat(parts);
}

type Json = unknown;

/** Rebuilds a JSON value with every `{ __hakubeSecret: v }` replaced; `at` is its JSON pointer. */
export function mapSecrets(value: Json, fn: (secret: Json, at: string) => Json, at = ''): Json {
  if (Array.isArray(value)) return value.map((v, i) => mapSecrets(v, fn, `${at}/${i}`));
  if (value && typeof value === 'object') {
    const obj = value as Record<string, Json>;
    if (Object.keys(obj).length === 1 && SECRET_MARKER in obj) return fn(obj[SECRET_MARKER], at);
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, mapSecrets(v, fn, `${at}/${pointerEscape(k)}`)]));
  }
  return value;
}

/** Rebuilds a JSON value with every `{ __hakubeSealed: s }` replaced. */
export function mapSealed(value: Json, fn: (sealed: string, at: string) => Json, at = ''): Json {
  if (Array.isArray(value)) return value.map((v, i) => mapSealed(v, fn, `${at}/${i}`));
  if (value && typeof value === 'object') {
    const obj = value as Record<string, Json>;
    if (Object.keys(obj).length === 1 && typeof obj[SEALED_FIELD] === 'string') return fn(obj[SEALED_FIELD] as string, at);
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, mapSealed(v, fn, `${at}/${pointerEscape(k)}`)]));
  }
  return value;
}

const pointerEscape = (k: string): string => k.replace(/~/g, '~0').replace(/\//g, '~1');

// The inner payload of a whole-payload ciphertext is a small JSON envelope (metadata + data in
// base64) so the codec needs no protobuf dependency of its own.
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
