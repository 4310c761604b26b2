/**
 * The codec's keys: several AES-256 keys, each named by a fingerprint, one of them current.
 * The current key encrypts; every key decrypts, so payloads written before a rotation stay
 * readable. Text form (key file, HAKUBE_CODEC_KEY): one base64 key per line (or separated by
 * commas), `#` comments allowed, the last key is the current one. A single-key file from before
 * rotation existed is a ring of one.
 */
import { createHash, randomBytes } from 'node:crypto';

export class CodecKeyError extends Error {
  override name = 'CodecKeyError';
}

/** A short, non-secret fingerprint of a key: names it in payload metadata and messages. */
export function keyId(key: Uint8Array): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

export class KeyRing {
  private readonly keys = new Map<string, Buffer>();
  readonly currentId: string;

  /** Keys oldest first; the last one is current. */
  constructor(keys: Uint8Array[]) {
    if (keys.length === 0) throw new CodecKeyError('a codec key ring needs at least one key');
    let last = '';
    for (const k of keys) {
      if (k.length !== 32) throw new CodecKeyError(`codec key must be 32 bytes, got ${k.length}`);
      last = keyId(k);
      this.keys.set(last, Buffer.from(k));
    }
    this.currentId = last;
  }

  get current(): Buffer {
    return this.keys.get(this.currentId) as Buffer;
  }

  get(id: string): Buffer | undefined {
    return this.keys.get(id);
  }

  /** Oldest first, current last. */
  get ids(): string[] {
    const ids = [...this.keys.keys()].filter((id) => id !== this.currentId);
    return [...ids, this.currentId];
  }
}

/** Parses the text form; `source` names where it came from in messages (never the key). */
export function parseKeyRing(text: string, source: string): KeyRing {
  const words = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .flatMap((line) => line.split(/[\s,]+/))
    .filter(Boolean);
  if (words.length === 0) throw new CodecKeyError(`no codec key in ${source}`);
  const keys = words.map((w, i) => {
    const key = Buffer.from(w, 'base64');
    if (key.length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(w)) {
      throw new CodecKeyError(`codec key ${i + 1} from ${source} must be base64 of 32 bytes (got ${key.length} bytes)`);
    }
    return key;
  });
  return new KeyRing(keys);
}

export function newKey(): Buffer {
  return randomBytes(32);
}

/** The file form of a ring plus one more key, which becomes current. */
export function formatKeyFile(keys: Buffer[]): string {
  return (
    '# hakube codec keys, oldest first: the last one encrypts, every one decrypts.\n' +
    '# Add one with `hakube codec rotate`; drop an old one only when no history needs it.\n' +
    keys.map((k) => k.toString('base64')).join('\n') +
    '\n'
  );
}

/** The keys of a ring's text, in order (for rotation, which appends one). */
export function keysOf(text: string, source: string): Buffer[] {
  const ring = parseKeyRing(text, source);
  return ring.ids.map((id) => ring.get(id) as Buffer);
}
