/**
 * Finds the codec keys: HAKUBE_CODEC_KEY (base64 keys, comma separated, last one current), else
 * the file named by HAKUBE_CODEC_KEY_FILE, else `<HAKUBE_HOME>/codec.key`, created 0600 on first
 * use. A key file other users can read is refused: whoever reads it reads every secret of every
 * run. Only the server, worker, client and codec server call this; workflow code never does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CodecKeyError, formatKeyFile, KeyRing, keysOf, newKey, parseKeyRing } from './keyring';
import { hakubeHome } from './paths';

export { CodecKeyError } from './keyring';

export interface LoadedKeys {
  ring: KeyRing;
  /** Where the keys came from, for messages: never a key itself. */
  source: string;
  /** The file a rotation appends to (undefined when the keys come from the environment). */
  file?: string;
}

export function codecKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.HAKUBE_CODEC_KEY_FILE ? path.resolve(env.HAKUBE_CODEC_KEY_FILE) : path.join(hakubeHome(env), 'codec.key');
}

export function loadCodecKeys(env: NodeJS.ProcessEnv = process.env): LoadedKeys {
  if (env.HAKUBE_CODEC_KEY) return { ring: parseKeyRing(env.HAKUBE_CODEC_KEY, 'HAKUBE_CODEC_KEY'), source: 'HAKUBE_CODEC_KEY' };
  const file = codecKeyFile(env);
  if (env.HAKUBE_CODEC_KEY_FILE) return { ring: parseKeyRing(readKeyFile(file, 'HAKUBE_CODEC_KEY_FILE '), file), source: file, file };
  return { ring: parseKeyRing(readOrCreate(file), file), source: file, file };
}

/** The keys as loadCodecKeys finds them, but undefined instead of creating `<HAKUBE_HOME>/codec.key` (hakube doctor). */
export function findCodecKeys(env: NodeJS.ProcessEnv = process.env): LoadedKeys | undefined {
  if (env.HAKUBE_CODEC_KEY || env.HAKUBE_CODEC_KEY_FILE) return loadCodecKeys(env);
  const file = codecKeyFile(env);
  if (!fs.existsSync(file)) return undefined;
  return { ring: parseKeyRing(readKeyFile(file), file), source: file, file };
}

/** Appends a fresh key to the key file; it becomes the current one. Returns its id. */
export function rotateCodecKey(env: NodeJS.ProcessEnv = process.env): { file: string; id: string; ids: string[] } {
  if (env.HAKUBE_CODEC_KEY) {
    throw new CodecKeyError(
      'the codec keys come from HAKUBE_CODEC_KEY: append a new key there yourself (HAKUBE_CODEC_KEY=<old>,$(openssl rand -base64 32)), ' +
        'or unset it to rotate the key file',
    );
  }
  const file = codecKeyFile(env);
  const text = env.HAKUBE_CODEC_KEY_FILE ? readKeyFile(file, 'HAKUBE_CODEC_KEY_FILE ') : readOrCreate(file);
  const keys = [...keysOf(text, file), newKey()];
  // Written beside and renamed over the old file: a reader sees the old ring or the new one.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, formatKeyFile(keys), { mode: 0o600, flag: 'wx' });
  fs.renameSync(tmp, file);
  const ring = new KeyRing(keys);
  return { file, id: ring.currentId, ids: ring.ids };
}

function readKeyFile(file: string, what = ''): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw new CodecKeyError(`cannot read ${what}${file}: ${(err as Error).message}`);
  }
  try {
    const mode = fs.fstatSync(fd).mode & 0o777;
    if (mode & 0o077) {
      throw new CodecKeyError(
        `codec key file ${file} has mode ${mode.toString(8).padStart(4, '0')}: other users could read every secret of every run; ` +
          `make it private with \`chmod 600 ${file}\``,
      );
    }
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

function readOrCreate(file: string): string {
  try {
    return readKeyFile(file);
  } catch (err) {
    if (fs.existsSync(file)) throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    // 'wx' fails if a concurrent process (worker and client starting together) won the race.
    fs.writeFileSync(file, formatKeyFile([newKey()]), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readKeyFile(file);
}
