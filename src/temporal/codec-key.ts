/**
 * Finds the codec key: HAKUBE_CODEC_KEY (base64 of 32 bytes), else the file named by
 * HAKUBE_CODEC_KEY_FILE, else `<HAKUBE_HOME>/codec.key`, created 0600 on first use. Only the
 * server, worker and client call this; workflow code never touches keys.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CodecKeyError } from './codec';
import { hakubeHome } from './paths';

export interface LoadedKey {
  key: Buffer;
  /** Where the key came from, for messages: never the key itself. */
  source: string;
}

export function loadCodecKey(env: NodeJS.ProcessEnv = process.env): LoadedKey {
  return findCodecKey(env) ?? { key: readOrCreate(defaultKeyFile(env)), source: defaultKeyFile(env) };
}

const defaultKeyFile = (env: NodeJS.ProcessEnv) => path.join(hakubeHome(env), 'codec.key');

/** The key as loadCodecKey finds it, but undefined instead of creating `<HAKUBE_HOME>/codec.key` (hakube doctor). */
export function findCodecKey(env: NodeJS.ProcessEnv = process.env): LoadedKey | undefined {
  if (env.HAKUBE_CODEC_KEY) return { key: decodeKey(env.HAKUBE_CODEC_KEY, 'HAKUBE_CODEC_KEY'), source: 'HAKUBE_CODEC_KEY' };
  if (env.HAKUBE_CODEC_KEY_FILE) {
    const file = path.resolve(env.HAKUBE_CODEC_KEY_FILE);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new CodecKeyError(`cannot read HAKUBE_CODEC_KEY_FILE ${file}: ${(err as Error).message}`);
    }
    return { key: decodeKey(text, file), source: file };
  }
  const file = defaultKeyFile(env);
  try {
    return { key: decodeKey(fs.readFileSync(file, 'utf8'), file), source: file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function readOrCreate(file: string): Buffer {
  try {
    return decodeKey(fs.readFileSync(file, 'utf8'), file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    // 'wx' fails if a concurrent process (worker and client starting together) won the race.
    fs.writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return decodeKey(fs.readFileSync(file, 'utf8'), file);
}

function decodeKey(text: string, source: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new CodecKeyError(`codec key from ${source} must be base64 of 32 bytes (got ${key.length} bytes)`);
  return key;
}
