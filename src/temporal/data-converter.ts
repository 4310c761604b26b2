/**
 * The DataConverter every hakube client and worker uses: default JSON conversion plus the
 * AES-GCM codec for secrets. Both sides must use the same key, or decoding fails loudly.
 */
import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec } from './codec';
import { loadCodecKey } from './codec-key';

export function createCodec(env: NodeJS.ProcessEnv = process.env): AesGcmCodec {
  return new AesGcmCodec(loadCodecKey(env).key, { encryptAll: env.HAKUBE_ENCRYPT_ALL === '1' });
}

export function createDataConverter(env: NodeJS.ProcessEnv = process.env): DataConverter {
  return { payloadCodecs: [createCodec(env)] };
}
