import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { commandLine, shellQuote } from '../../src/ssh/quote';
import { Masker, MaskedStream, Tail, substitute } from '../../src/ssh/mask';
import { SUDO_REFUSED, sudoArgv } from '../../src/ssh/remote';

const HOSTILE = ['$(id)', '`id`', ';', 'a b', "it's", '"q"', 'x\ny', '*', '~', '$HOME', '\\', '', '-n', 'é☃', '{{x}}', "''"];

describe('shellQuote / commandLine', () => {
  it('makes sh see every hostile word verbatim', () => {
    const out = execFileSync('sh', ['-c', commandLine(['printf', '%s\\0', ...HOSTILE])]);
    assert.deepEqual(out.toString().split('\0').slice(0, -1), HOSTILE);
  });

  it('passes env values verbatim and rejects bad names and NUL bytes', () => {
    const out = execFileSync('sh', ['-c', commandLine(['sh', '-c', 'printf %s "$V"'], { V: "$(id) 'x' \n" })]);
    assert.equal(out.toString(), "$(id) 'x' \n");
    assert.throws(() => commandLine(['true'], { 'A;B': 'x' }), /invalid environment variable name/);
    assert.throws(() => shellQuote('a\0b'), /NUL/);
    assert.throws(() => commandLine([]), /empty argv/);
  });
});

describe('masking', () => {
  const secret = 'abcdef.0123456789abcdef';

  it('masks every occurrence, longest secret first', () => {
    const m = new Masker().add(secret, 'abcdef', '', undefined);
    assert.equal(m.mask(`t=${secret} again ${secret} short abcdef`), 't=*** again *** short ***');
  });

  it('never releases a secret split across chunks', () => {
    const m = new Masker().add(secret);
    const seen: string[] = [];
    const s = new MaskedStream(m, (t) => seen.push(t), 16);
    const text = `${'x'.repeat(30)}${secret}${'y'.repeat(30)}\nnext ${secret}`;
    for (const ch of text) s.push(ch);
    s.end();
    assert.equal(seen.join(''), m.mask(text));
    for (const piece of seen) assert.ok(!piece.includes(secret.slice(0, 8)), piece);
  });

  it('decodes multi-byte characters split across buffers', () => {
    const seen: string[] = [];
    const s = new MaskedStream(new Masker(), (t) => seen.push(t));
    const bytes = Buffer.from('é☃\n');
    for (const b of bytes) s.push(Buffer.from([b]));
    s.end();
    assert.equal(seen.join(''), 'é☃\n');
  });

  it('substitutes placeholders and reports missing ones', () => {
    assert.deepEqual(substitute('--token={{joinToken}} {{ caCertHash }}', { joinToken: 't', caCertHash: 'h' }), { value: '--token=t h', missing: [] });
    assert.deepEqual(substitute('{{nope}}', {}).missing, ['nope']);
  });
});

describe('Tail', () => {
  it('keeps the last lines and characters only', () => {
    const t = new Tail(1000, 3);
    for (let i = 0; i < 10; i++) t.push(`line ${i}\n`);
    assert.equal(t.text(), 'line 7\nline 8\nline 9\n');
    const c = new Tail(10, 100);
    for (let i = 0; i < 100; i++) c.push('0123456789');
    assert.equal(c.text(), '0123456789');
  });
});

describe('sudoArgv', () => {
  it('runs the argv as words after sudo -n --, env handed over by name only', () => {
    assert.deepEqual(sudoArgv(['kubeadm', 'reset', '-f']), ['sudo', '-n', '--', 'kubeadm', 'reset', '-f']);
    const line = commandLine(sudoArgv(['sh', '-c', 'printf %s "$T"'], ['T']), { T: 's3cret' });
    assert.equal(line, "T='s3cret' 'sudo' '-n' '--preserve-env=T' '--' 'sh' '-c' 'printf %s \"$T\"'");
    // The value is a shell assignment, never a word of sudo's argv (which ps would show).
    assert.ok(!sudoArgv(['true'], ['T']).some((w) => w.includes('s3cret')));
  });

  it('recognises sudo refusing, and nothing else', () => {
    for (const said of ['sudo: a password is required', 'sudo: a terminal is required to read the password; either use the -S option', 'nosudo is not in the sudoers file.', 'Sorry, user nosudo may not run sudo on s1.', 'sh: 1: sudo: not found']) {
      assert.match(said, SUDO_REFUSED);
    }
    assert.doesNotMatch('kubeadm: error: a password is required by the registry', SUDO_REFUSED);
    assert.doesNotMatch('error execution phase preflight', SUDO_REFUSED);
  });
});
