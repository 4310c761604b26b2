/** The tests' ed25519 pairs are ones ssh2 can read back (its generator's are not, about one in 256). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { utils } from 'ssh2';
import { ed25519Pair } from '../helpers/ssh-keys';

test('2,000 test key pairs all parse, public and private', () => {
  // The bare generator fails about 8 of 2,000; none may here.
  for (let i = 0; i < 2000; i++) {
    const pair = ed25519Pair();
    assert.ok(!(utils.parseKey(pair.private) instanceof Error), `private key ${i}`);
    assert.ok(!(utils.parseKey(pair.public) instanceof Error), `public key ${i}`);
  }
});
