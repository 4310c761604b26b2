/**
 * The DataConverter every hakube client and worker uses: default JSON conversion plus the
 * AES-GCM codec for secrets. Both sides need a key ring holding the key a payload was sealed
 * with, or decoding fails loudly.
 */
import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec } from './codec';
import { loadCodecKeys } from './codec-key';

export function createCodec(env: NodeJS.ProcessEnv = process.env): AesGcmCodec {
  const loaded = loadCodecKeys(env);
  // A key file may gain a key (`hakube codec rotate`) while a worker runs: re-read it on demand.
  const reload = loaded.file ? () => loadCodecKeys(env).ring : undefined;
  return new AesGcmCodec(loaded.ring, { encryptAll: env.HAKUBE_ENCRYPT_ALL === '1', reload });
}

export function createDataConverter(env: NodeJS.ProcessEnv = process.env): DataConverter {
  return { payloadCodecs: [createCodec(env)] };
}
