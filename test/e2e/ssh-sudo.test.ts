/**
 * hakube as a non-root SSH user on a real lab host: every command and file write goes through
 * `sudo -n` and lands as root; a user without a password-less sudo right gets SudoRefusedError,
 * which says who and how to fix it, instead of a hang at a password prompt or a late failure.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { addLabUser } from '../../lab/users';
import { targetFor } from '../../src/activities/targets';
import { loadSpec } from '../../src/spec/load';
import { SshPool, SudoRefusedError, type SshTarget } from '../../src/ssh';
import { startLab, type TestLab } from '../helpers/lab';

let lab: TestLab;
const pool = new SshPool();

before(async () => {
  lab = await startLab({ prefix: 'sudo', hosts: ['s1'] });
  await addLabUser(lab.cluster, 's1', 'deploy', { sudo: true });
  await addLabUser(lab.cluster, 's1', 'nosudo', { sudo: false });
});
after(async () => {
  pool.closeAll();
  await lab?.down();
});

function target(user: string): SshTarget {
  const spec = loadSpec(lab.specPath);
  return targetFor({ ...spec, spec: { ...spec.spec, ssh: { ...spec.spec.ssh, user } } }, 's1');
}

async function out(t: SshTarget, argv: string[], opts: { env?: Record<string, string> } = {}): Promise<string> {
  const conn = await pool.get(t);
  const r = await conn.run(argv, opts);
  return r.stdoutTail.trim();
}

test('a non-root spec user runs every command through sudo -n, as root', async () => {
  const t = target('deploy');
  assert.equal(t.sudo, true);
  assert.equal(target('root').sudo, false);
  // Logged in as deploy (the session's login name), acting as root.
  assert.equal(await out(t, ['sh', '-c', 'echo "$(id -u) $SUDO_USER"']), '0 deploy');
  assert.equal(await out(t, ['sh', '-c', 'echo "$GREETING"'], { env: { GREETING: 'hello $(id)' } }), 'hello $(id)');
});

test('files are written and read as root through sudo', async () => {
  const conn = await pool.get(target('deploy'));
  assert.equal(await conn.writeFileIfChanged('/etc/hakube-sudo-test/conf', 'as root\n', '0600'), true);
  assert.equal(await conn.writeFileIfChanged('/etc/hakube-sudo-test/conf', 'as root\n', '0600'), false);
  assert.equal(await conn.readFile('/etc/hakube-sudo-test/conf'), 'as root\n');
  assert.equal(await out(target('deploy'), ['stat', '-c', '%U %a', '/etc/hakube-sudo-test/conf']), 'root 600');
  assert.equal(await conn.fileExists('/etc/hakube-sudo-test/conf'), true);
});

test('a user without password-less sudo gets SudoRefusedError naming the user and the fix', async () => {
  const conn = await pool.get(target('nosudo'));
  await assert.rejects(conn.run(['id', '-u']), (err: unknown) => {
    assert.ok(err instanceof SudoRefusedError, String(err));
    assert.equal(err.retryable, false);
    assert.match(err.message, /^s1: nosudo may not run commands as root without a password/);
    assert.match(err.message, /NOPASSWD/);
    return true;
  });
  await assert.rejects(conn.writeFileIfChanged('/etc/hakube-sudo-test/other', 'x', '0644'), SudoRefusedError);
  // Nothing was written as nosudo either.
  assert.equal(await (await pool.get(target('deploy'))).fileExists('/etc/hakube-sudo-test/other'), false);
});
