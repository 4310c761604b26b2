/**
 * The codec the codec server answers the Web UI with: it decodes everything a payload holds
 * except secrets, which become a fixed placeholder. Sealed secret values are replaced without
 * being decrypted at all; a whole-payload ciphertext is decrypted here (in this process only)
 * and its secrets replaced before anything leaves. A payload that still carries a secret marker
 * in a form this cannot redact is returned as it came, encrypted.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { isEncrypted, isSealed, mapSealed, mapSecrets, SEALED_METADATA, type AesGcmCodec } from './codec';
import { SECRET_MARKER } from './secret';

export const SECRET_PLACEHOLDER = '(secret, hidden)';
const MARKER_BYTES = Buffer.from(JSON.stringify(SECRET_MARKER));

export class DisplayCodec implements PayloadCodec {
  constructor(private readonly codec: AesGcmCodec) {}

  /** The Web UI encodes what an operator types (a signal's input): as the workers would. */
  encode(payloads: Payload[]): Promise<Payload[]> {
    return this.codec.encode(payloads);
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    const out: Payload[] = [];
    for (const p of payloads) out.push(await this.decodeOne(p));
    return out;
  }

  private async decodeOne(p: Payload): Promise<Payload> {
    if (isSealed(p)) {
      const metadata = { ...p.metadata };
      delete metadata[SEALED_METADATA];
      return { metadata, data: rewrite(p, (doc) => mapSealed(doc, () => SECRET_PLACEHOLDER)) };
    }
    const plain = isEncrypted(p) ? (await this.codec.decode([p]))[0] : p;
    if (!plain.data || !Buffer.from(plain.data).includes(MARKER_BYTES)) return plain;
    if (Buffer.from(plain.metadata?.encoding ?? []).toString() !== 'json/plain') return p;
    const data = rewrite(plain, (doc) => mapSecrets(doc, () => SECRET_PLACEHOLDER));
    return { metadata: plain.metadata, data };
  }
}

function rewrite(p: Payload, fn: (doc: unknown) => unknown): Uint8Array {
  return Buffer.from(JSON.stringify(fn(JSON.parse(Buffer.from(p.data ?? []).toString('utf8')))), 'utf8');
}
