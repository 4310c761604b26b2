/**
 * An ed25519 key pair from ssh2's generator that ssh2 itself can read back. About one pair in
 * 256 cannot be (mscdex/ssh2#1390, #1513: the generator strips a leading zero byte of the
 * public key), which failed a test or a bench start now and then with "Malformed OpenSSH
 * private key". Such a pair is drawn again.
 */
import { utils } from 'ssh2';

export function ed25519Pair(): ReturnType<typeof utils.generateKeyPairSync> {
  for (;;) {
    const pair = utils.generateKeyPairSync('ed25519');
    if (!(utils.parseKey(pair.public) instanceof Error) && !(utils.parseKey(pair.private) instanceof Error)) return pair;
  }
}
