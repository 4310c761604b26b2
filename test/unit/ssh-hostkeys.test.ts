import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { checkHostKey, fingerprintSha256, hostKeyAlgorithms, hostMatches, keyType, parseKnownHosts } from '../../src/ssh/hostkeys';
import { CommandFailedError, HostKeyMismatchError, SshUnreachableError } from '../../src/ssh/errors';
import { toApplicationFailure } from '../../src/ssh/failure';

const dir = mkdtempSync(join(tmpdir(), 'hakube-hk-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh public key from the real ssh-keygen: [known_hosts fields, blob]. */
function key(type: string): { line: string; blob: Buffer } {
  const path = join(dir, `k${Math.random().toString(36).slice(2)}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', path]);
  const line = readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  return { line, blob: Buffer.from(line.split(' ')[1] as string, 'base64') };
}

const ed = key('ed25519');
const ed2 = key('ed25519');
const ec = key('ecdsa');
const rsa = key('rsa');

describe('known_hosts matching', () => {
  it('reads key types and fingerprints like ssh-keygen', () => {
    assert.equal(keyType(ed.blob), 'ssh-ed25519');
    assert.equal(keyType(rsa.blob), 'ssh-rsa');
    const path = join(dir, 'fp.pub');
    writeFileSync(path, `${ec.line}\n`);
    const printed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', path]).toString().split(' ')[1];
    assert.equal(fingerprintSha256(ec.blob), printed);
  });

  it('matches plain, bracketed, wildcard and negated patterns', () => {
    assert.ok(hostMatches('10.0.0.1', '10.0.0.1'));
    assert.ok(!hostMatches('10.0.0.1', '[10.0.0.1]:2222'));
    assert.ok(hostMatches('k1,[10.0.0.1]:2222', '[10.0.0.1]:2222'));
    assert.ok(hostMatches('10.0.0.*', '10.0.0.7'));
    assert.ok(!hostMatches('10.0.0.*,!10.0.0.7', '10.0.0.7'));
    assert.ok(!hostMatches('10.0.0.1?', '10.0.0.1'));
  });

  it('matches entries hashed by ssh-keygen -H', () => {
    const path = join(dir, 'hashed');
    writeFileSync(path, `10.1.2.3 ${ed.line}\n[10.1.2.3]:2200 ${ec.line}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', path], { stdio: 'ignore' });
    const text = readFileSync(path, 'utf8');
    assert.ok(!text.includes('10.1.2.3') && text.startsWith('|1|'));
    const entries = parseKnownHosts(text);
    assert.deepEqual(checkHostKey(ed.blob, '10.1.2.3', { entries }), { ok: true });
    assert.deepEqual(checkHostKey(ec.blob, '[10.1.2.3]:2200', { entries }), { ok: true });
    assert.equal(checkHostKey(ec.blob, '10.1.2.3', { entries }).ok, false);
  });

  it('tells a changed key from an unknown host, and refuses revoked keys', () => {
    const entries = parseKnownHosts(`# comment\n\nh1 ${ed.line} c\nh2 ${ec.line}\n@revoked * ${rsa.line}\n@cert-authority * ${ed2.line}\nh3 garbage\n`);
    assert.equal(entries.length, 4);
    const changed = checkHostKey(ed2.blob, 'h1', { entries });
    assert.equal(changed.ok === false && changed.kind, 'mismatch');
    const otherType = checkHostKey(rsa.blob, 'h2', { entries: entries.filter((e) => e.marker === undefined) });
    assert.equal(otherType.ok === false && otherType.kind, 'unknown');
    const unknown = checkHostKey(ed.blob, 'nowhere', { entries });
    assert.equal(unknown.ok === false && unknown.kind, 'unknown');
    const revoked = checkHostKey(rsa.blob, 'h2', { entries: [...entries, ...parseKnownHosts(`h2 ${rsa.line}`)] });
    assert.equal(revoked.ok === false && revoked.kind, 'mismatch');
    // A CA line vouches for no plain key.
    assert.equal(checkHostKey(ed2.blob, 'other', { entries }).ok, false);
  });

  it('lets a pinned fingerprint decide', () => {
    assert.deepEqual(checkHostKey(ed.blob, 'x', { entries: [], fingerprint: fingerprintSha256(ed.blob) }), { ok: true });
    const wrong = checkHostKey(ed.blob, 'x', { entries: parseKnownHosts(`x ${ed.line}`), fingerprint: fingerprintSha256(ed2.blob) });
    assert.equal(wrong.ok === false && wrong.kind, 'mismatch');
  });

  it('asks the server for known key types first', () => {
    const algs = hostKeyAlgorithms(parseKnownHosts(`h ${rsa.line}\nother ${ec.line}`), 'h');
    assert.deepEqual(algs.slice(0, 3), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    assert.equal(algs.length, 7);
  });
});

describe('toApplicationFailure', () => {
  it('keeps the type and marks what cannot succeed as non-retryable', () => {
    const mismatch = toApplicationFailure(new HostKeyMismatchError('k1: changed', 'k1'));
    assert.ok(mismatch instanceof ApplicationFailure);
    assert.equal(mismatch.type, 'HostKeyMismatchError');
    assert.equal(mismatch.nonRetryable, true);
    const down = toApplicationFailure(new SshUnreachableError('k1: down', 'k1')) as ApplicationFailure;
    assert.equal(down.nonRetryable, false);
    const failed = toApplicationFailure(new CommandFailedError('k2', 3, undefined, "'false'", 'boom\n', '')) as ApplicationFailure;
    assert.equal(failed.type, 'CommandFailedError');
    assert.match(failed.message, /exited 3: boom/);
    assert.deepEqual((failed.details?.[0] as { exitCode: number }).exitCode, 3);
    const other = new Error('x');
    assert.equal(toApplicationFailure(other), other);
  });
});
