import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clipTail, scrubSecrets } from '../../src/activities/tail';
import { parseCertificateKey, parseJoinCommand } from '../../src/activities/credentials';

const KEY = 'a3f1'.repeat(16);
const HASH = `sha256:${'0b'.repeat(32)}`;
const INIT_OUTPUT = `Your Kubernetes control-plane has initialized successfully!
  kubeadm join 10.0.0.250:8443 --token abcdef.0123456789abcdef \\
\t--discovery-token-ca-cert-hash ${HASH} \\
\t--control-plane --certificate-key ${KEY}
`;

test('tails lose generated bootstrap tokens and certificate keys but keep the CA pin', () => {
  const out = scrubSecrets(INIT_OUTPUT);
  assert.doesNotMatch(out, /0123456789abcdef/);
  assert.ok(!out.includes(KEY));
  assert.match(out, /--token abcdef\.\*\*\*/);
  assert.ok(out.includes(HASH), 'the CA hash is public: it stays readable');
  assert.ok(clipTail('x'.repeat(5000)).length <= 1501);
});

test('join credentials are parsed from kubeadm output', () => {
  assert.deepEqual(parseJoinCommand(INIT_OUTPUT), { token: 'abcdef.0123456789abcdef', caCertHash: HASH });
  assert.equal(parseJoinCommand('no join here'), undefined);
  const upload = `[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n[upload-certs] Using certificate key:\n${KEY}\n`;
  assert.equal(parseCertificateKey(upload), KEY);
  assert.equal(parseCertificateKey('[upload-certs] Skipping phase'), undefined);
});
