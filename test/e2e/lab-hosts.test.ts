/**
 * The lab's hosts: five come up quickly with real sshd, each its own hostname and /etc, known
 * hosts pinned to their real keys, `lab up` reconciles, and `lab down` leaves nothing behind.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { run, runRaw } from '../../lab/exec';
import { bridgeName, clusterDir, clusterTag } from '../../lab/paths';
import { labUp } from '../../lab/lifecycle';
import { readLabSpec } from '../../lab/spec';
import { startLabFromFile, TestLab, writeLabSpec } from '../helpers/lab';

/** Lines of every process's mountinfo that mention the path (a mount the lab left behind). */
function mountsMentioning(path: string): string[] {
  const hits: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      for (const line of readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n')) if (line.includes(path)) hits.push(`${pid}: ${line}`);
    } catch {
      // process exited
    }
  }
  return hits;
}

describe('lab hosts', () => {
  let lab: TestLab;
  let pids: number[] = [];

  before(async () => {
    const { specPath } = await writeLabSpec({ prefix: 'hosts', hosts: ['m1', 'm2', 'm3', 'w1', 'w2'] });
    const t0 = Date.now();
    lab = await startLabFromFile(specPath);
    console.log(`lab up: 5 hosts in ${((Date.now() - t0) / 1000).toFixed(2)} s`);
    pids = lab.state().hosts.flatMap((h) => [h.holderPid!, h.sshdPid!]);
  });
  after(async () => {
    await lab?.down();
  });

  it('gives every host its own hostname, address and sshd reachable with the lab key and pinned host keys', async () => {
    for (const [name, address] of Object.entries(lab.address)) {
      const r = await lab.ssh(name, 'hostname; cat /etc/hostname; ip -o -4 addr show dev eth0');
      assert.equal(r.code, 0, r.stderr);
      const [host, etcName, addr] = r.stdout.split('\n');
      assert.equal(host, name);
      assert.equal(etcName, name);
      assert.match(addr, new RegExp(` ${address.replace(/\./g, '\\.')}/24 `));
    }
    // A client that knows only the lab's known_hosts must refuse a host whose key differs.
    const state = lab.state();
    const wrong = readFileSync(state.knownHostsPath, 'utf8').replace(new RegExp(`^${lab.address.m1.replace(/\./g, '\\.')} `, 'm'), 'x ');
    const swapped = `${lab.address.m1} ${wrong.split('\n').find((l) => l.startsWith(`${lab.address.m2} `))!.split(' ').slice(1).join(' ')}\n`;
    const { writeFileSync } = await import('node:fs');
    const bad = `${clusterDir(lab.cluster)}/known_hosts.bad`;
    writeFileSync(bad, swapped);
    const r = await runRaw('ssh', [...lab.sshArgv('m1').slice(1, -1).map((a) => (a.startsWith('UserKnownHostsFile=') ? `UserKnownHostsFile=${bad}` : a)), `root@${lab.address.m1}`, 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  it('keeps /etc per host: a file written over SSH on one host is absent on the others and on the machine', async () => {
    const marker = `written-on-m1-${Date.now()}`;
    const w = await lab.ssh('m1', `mkdir -p /etc/kubernetes && echo ${marker} > /etc/kubernetes/lab-isolation`);
    assert.equal(w.code, 0, w.stderr);
    assert.equal((await lab.ssh('m1', 'cat /etc/kubernetes/lab-isolation')).stdout.trim(), marker);
    for (const other of ['m2', 'm3', 'w1', 'w2']) {
      const r = await lab.ssh(other, 'cat /etc/kubernetes/lab-isolation');
      assert.notEqual(r.code, 0, `${other} sees m1's file`);
    }
    assert.equal(existsSync('/etc/kubernetes/lab-isolation'), false);
    const ids = await Promise.all(['m1', 'm2', 'm3'].map(async (h) => (await lab.exec(h, ['cat', '/etc/machine-id'])).stdout.trim()));
    assert.equal(new Set([...ids, readFileSync('/etc/machine-id', 'utf8').trim()]).size, 4, 'every host has its own machine-id');
    // Kernel-wide settings stay the machine's; a host's own network settings are its own.
    const sysctl = await lab.ssh('m1', 'echo 1 > /proc/sys/vm/overcommit_memory; echo "vm $?"; echo 1 > /proc/sys/net/ipv4/ip_forward; echo "net $?"; cat /proc/sys/net/ipv4/ip_forward');
    assert.match(sysctl.stdout, /^vm [1-9]/m);
    assert.match(sysctl.stdout, /^net 0\n1\n/m);
    assert.equal((await lab.ssh('m2', 'cat /proc/sys/net/ipv4/ip_forward')).stdout.trim(), '0');
    assert.equal(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(), '0');
    // /var/lib, /root and /tmp are per host too; /usr is shared.
    await lab.ssh('m2', 'echo x > /var/lib/lab-m2 && echo x > /root/lab-m2 && echo x > /tmp/lab-m2');
    const r = await lab.ssh('m3', 'ls /var/lib/lab-m2 /root/lab-m2 /tmp/lab-m2 2>&1; test -x /usr/sbin/sshd && echo usr-shared');
    assert.doesNotMatch(r.stdout, /^\/(var|root|tmp)\S*lab-m2$/m);
    assert.match(r.stdout, /usr-shared/);
  });

  it('reconciles on a second up: a killed sshd and a powered-off host come back, the rest untouched', async () => {
    const before = lab.state();
    const m2 = before.hosts.find((h) => h.name === 'm2')!;
    const w1 = before.hosts.find((h) => h.name === 'w1')!;
    process.kill(m2.sshdPid!, 'SIGKILL');
    for (const pid of (await run('ip', ['netns', 'pids', w1.netns])).split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    await labUp(readLabSpec(lab.specPath), { specPath: lab.specPath });
    const now = lab.state();
    assert.equal(now.hosts.find((h) => h.name === 'm1')!.sshdPid, before.hosts.find((h) => h.name === 'm1')!.sshdPid);
    assert.equal(now.hosts.find((h) => h.name === 'm2')!.holderPid, m2.holderPid, 'm2 was not rebooted');
    assert.notEqual(now.hosts.find((h) => h.name === 'm2')!.sshdPid, m2.sshdPid);
    for (const h of ['m2', 'w1']) assert.equal((await lab.ssh(h, 'hostname')).stdout.trim(), h);
    // What w1 had on disk survives its power cycle; what m1 wrote is still only on m1.
    assert.equal((await lab.ssh('m1', 'cat /etc/kubernetes/lab-isolation')).code, 0);
    pids = now.hosts.flatMap((h) => [h.holderPid!, h.sshdPid!]).concat(pids);
  });

  it('refuses a second lab on a subnet in use by a lab or by one of the machine\'s interfaces', async () => {
    const clash = { name: `${lab.cluster}-x`, hosts: [{ name: 'x1', address: `${lab.net}99`, roles: ['worker'] }], ssh: { user: 'root', port: 22 } };
    await assert.rejects(labUp(clash), /already used by lab/);
    await assert.rejects(labUp({ ...clash, hosts: [{ name: 'x1', address: '127.1.2.3', roles: ['worker'] }] }), /overlaps 127\.0\.0\.1\/8 on the machine's interface lo/);
    assert.equal(existsSync(clusterDir(clash.name)), false);
  });

  it('answers the CLI: status --json and ssh', async () => {
    const cli = (args: string[]) => runRaw(process.execPath, ['bin/hakube.js', 'lab', ...args]);
    const status = await cli(['status', '--cluster', lab.cluster, '--json']);
    assert.equal(status.code, 0, status.stderr);
    const [s] = JSON.parse(status.stdout) as Array<{ cluster: string; hosts: Array<{ name: string; up: boolean; sshd: boolean; link: string; rssKiB: number }> }>;
    assert.equal(s.cluster, lab.cluster);
    assert.deepEqual(s.hosts.map((h) => [h.name, h.up, h.sshd, h.link]), ['m1', 'm2', 'm3', 'w1', 'w2'].map((n) => [n, true, true, 'up']));
    assert.ok(s.hosts.every((h) => h.rssKiB > 0));
    const ssh = await cli(['ssh', '--cluster', lab.cluster, 'w2', '--', 'hostname']);
    assert.equal(ssh.stdout, 'w2\n', ssh.stderr);
    const bad = await cli(['fault', '--cluster', lab.cluster, 'w2', 'no-such-fault']);
    assert.equal(bad.code, 2);
    // The kind's own options pass through the CLI untouched.
    const fault = await cli(['fault', '--cluster', lab.cluster, 'w2', 'command', 'hostname -f', '--fail', '--times', '1', '--exit-code', '9']);
    assert.equal(fault.code, 0, fault.stderr);
    const codes = [(await lab.ssh('w2', 'hostname -f')).code, (await lab.ssh('w2', 'hostname -f')).code];
    assert.deepEqual(codes, [9, 0]);
  });

  it('lab down leaves no namespace, bridge, veth, mount, process or file', async () => {
    const state = lab.state();
    await lab.down();
    const netns = await run('ip', ['netns', 'list']);
    for (const h of state.hosts) assert.doesNotMatch(netns, new RegExp(`^${h.netns}\\b`, 'm'));
    const links = await run('ip', ['-o', 'link', 'show']);
    assert.doesNotMatch(links, new RegExp(bridgeName(lab.cluster)));
    assert.doesNotMatch(links, new RegExp(`hkv${clusterTag(lab.cluster)}`));
    for (const pid of pids) assert.equal(existsSync(`/proc/${pid}`) && !/State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, 'utf8')), false, `pid ${pid} alive`);
    assert.deepEqual(mountsMentioning(clusterDir(lab.cluster)), []);
    assert.deepEqual(mountsMentioning(`/run/netns/${state.hosts[0].netns}`), []);
    assert.equal(existsSync(clusterDir(lab.cluster)), false);
    // Idempotent.
    await lab.down();
  });
});
