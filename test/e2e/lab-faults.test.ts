/**
 * `lab fault` on a lab kept under /tmp: command faults (fail N times, hang, clear; kept across a restart), sshd stop and
 * start, link cuts, and the simulators' hooks (/usr/local/bin from the lab-bin dir, lab-boot run
 * at every boot).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, TestLab } from '../helpers/lab';

describe('lab faults', () => {
  let lab: TestLab;
  let bin: string;
  let root: string;
  const savedBin = process.env.HAKUBE_LAB_BIN;
  const savedRoot = process.env.HAKUBE_LAB_ROOT;

  before(async () => {
    // Stand-ins for the simulators: a command on /usr/local/bin and a lab-boot that records boots.
    bin = mkdtempSync(join(tmpdir(), 'hakube-lab-bin-'));
    writeFileSync(join(bin, 'labtool'), '#!/bin/sh\necho "labtool $*"\n');
    writeFileSync(join(bin, 'lab-boot'), '#!/bin/sh\necho "boot $(hostname) $(date +%s%N)" >> /var/log/lab-boots\n');
    for (const f of ['labtool', 'lab-boot']) chmodSync(join(bin, f), 0o755);
    process.env.HAKUBE_LAB_BIN = bin;
    // The lab's own files under /tmp, which every host replaces with its own /tmp (a checkout
    // in /tmp, as a CI clone may be): hosts must boot all the same.
    root = mkdtempSync(join(tmpdir(), 'hakube-lab-root-'));
    process.env.HAKUBE_LAB_ROOT = root;
    lab = await startLab({ prefix: 'faults', hosts: ['f1', 'f2'] });
  });
  after(async () => {
    await lab?.down();
    for (const [k, v] of [['HAKUBE_LAB_BIN', savedBin], ['HAKUBE_LAB_ROOT', savedRoot]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(bin, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });

  /** Boots recorded by lab-boot (it runs detached: give it a moment to reach `expected`). */
  async function bootCount(host: string, expected: number): Promise<number> {
    let n = 0;
    for (let i = 0; i < 50; i++) {
      const r = await lab.exec(host, ['sh', '-c', 'cat /var/log/lab-boots 2>/dev/null | wc -l']);
      n = Number(r.stdout.trim());
      if (n >= expected) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    return n;
  }

  it('mounts the simulators on /usr/local/bin and runs lab-boot once per boot', async () => {
    const r = await lab.ssh('f1', 'labtool hello; command -v labtool');
    assert.equal(r.stdout, 'labtool hello\n/usr/local/bin/labtool\n');
    assert.equal(await bootCount('f1', 1), 1);
  });

  it('fails a command N times with the given exit code, logs every call, then runs the real one', async () => {
    const msg = await lab.fault('f1', 'command', 'labtool join', '--fail', '--times', '2', '--exit-code', '7');
    assert.match(msg, /fail with exit 7 2 time/);
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) codes.push((await lab.ssh('f1', 'labtool join --token abcdef.0123456789abcdef x')).code);
    assert.deepEqual(codes, [7, 7, 0]);
    // Other subcommands and other hosts are untouched.
    assert.equal((await lab.ssh('f1', 'labtool init')).code, 0);
    assert.equal((await lab.ssh('f2', 'labtool join')).code, 0);
    const log = (await lab.ssh('f1', 'cat /var/log/hakube-lab/commands.log')).stdout;
    assert.deepEqual(log.trim().split('\n').map((l) => l.split('\t').slice(1).join(' ')), [
      'fail labtool join --token *** x', 'fail labtool join --token *** x', 'run labtool join --token *** x', 'run labtool init',
    ]);
    assert.doesNotMatch(log, /abcdef/);
  });

  it('hangs a command until cleared, and the fault survives a host restart', async () => {
    await lab.fault('f2', 'command', 'labtool join', '--hang');
    const hung = await lab.ssh('f2', 'timeout 1 labtool join; echo "exit $?"');
    assert.equal(hung.stdout.trim(), 'exit 124');
    await lab.fault('f2', 'restart');
    assert.equal(await bootCount('f2', 2), 2);
    assert.equal((await lab.ssh('f2', 'timeout 1 labtool join; echo "exit $?"')).stdout.trim(), 'exit 124');
    await lab.fault('f2', 'command', 'labtool join', '--clear');
    assert.equal((await lab.ssh('f2', 'labtool join; echo "exit $?"')).stdout.trim(), 'labtool join\nexit 0');
    assert.equal((await lab.ssh('f2', 'ls /usr/local/sbin | wc -l')).stdout.trim(), '0');
  });

  it('stops and starts sshd while the host keeps running', async () => {
    await lab.fault('f1', 'sshd-stop');
    assert.equal((await lab.ssh('f1', 'true')).code, 255);
    assert.equal((await lab.exec('f1', ['hostname'])).stdout.trim(), 'f1');
    await lab.fault('f1', 'sshd-start');
    assert.equal((await lab.ssh('f1', 'hostname')).stdout.trim(), 'f1');
    await lab.fault('f1', 'sshd-restart');
    assert.equal((await lab.ssh('f1', 'hostname')).stdout.trim(), 'f1');
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(await bootCount('f1', 1), 1, 'an sshd restart is not a reboot');
  });

  it('cuts and restores a host\'s link', async () => {
    await lab.fault('f2', 'link-down');
    const cut = await lab.ssh('f1', `ping -c 1 -W 1 ${lab.address.f2}`);
    assert.notEqual(cut.code, 0);
    // A host can reboot with its cable out; it is reachable again once the cable is back.
    await lab.fault('f2', 'restart');
    assert.equal((await lab.exec('f2', ['hostname'])).stdout.trim(), 'f2');
    await lab.fault('f2', 'link-up');
    assert.equal((await lab.ssh('f2', 'hostname')).stdout.trim(), 'f2');
    const back = await lab.ssh('f1', `ping -c 1 -W 2 ${lab.address.f2}`);
    assert.equal(back.code, 0, back.stdout + back.stderr);
  });
});
