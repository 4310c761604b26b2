/**
 * Real keepalived VRRP across lab hosts: the VIP moves when its holder's link is cut and when
 * its check script fails; a SIGKILLed keepalived leaves the VIP behind (seed 001's pitfall) and
 * only the host's restart clears it, as a reboot would.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { comm, netnsPids } from '../../lab/proc';
import { startLab, TestLab } from '../helpers/lab';

const HOSTS = ['k1', 'k2', 'k3'];

function config(host: string, priority: number, vip: string): string {
  return `global_defs {
  router_id ${host}
  script_user root
  enable_script_security
}
vrrp_script chk {
  script "/etc/keepalived/check.sh"
  interval 1
  fall 1
  rise 1
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority ${priority}
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass lab
  }
  virtual_ipaddress {
    ${vip}/24 dev eth0
  }
  track_script {
    chk
  }
}
`;
}

describe('lab keepalived VRRP', () => {
  let lab: TestLab;
  let vip: string;

  async function holders(): Promise<string[]> {
    const out: string[] = [];
    for (const h of HOSTS) {
      const r = await lab.exec(h, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
      if (r.stdout.includes(` ${vip}/`)) out.push(h);
    }
    return out;
  }

  /** Waits until exactly `host` holds the VIP among the hosts given. */
  async function vipOn(host: string, among = HOSTS, ms = 20000): Promise<void> {
    const deadline = Date.now() + ms;
    let now: string[] = [];
    for (;;) {
      now = (await holders()).filter((h) => among.includes(h));
      if (now.length === 1 && now[0] === host) return;
      if (Date.now() > deadline) throw new Error(`VIP ${vip} held by [${now.join(', ')}], expected ${host}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  before(async () => {
    lab = await startLab({ prefix: 'vrrp', hosts: HOSTS, vip: true });
    vip = lab.vip!;
    for (const [i, h] of HOSTS.entries()) {
      const script = '#!/bin/sh\n# fails while /etc/keepalived/fail exists\ntest ! -e /etc/keepalived/fail\n';
      let r = await lab.ssh(h, 'mkdir -p /etc/keepalived && cat > /etc/keepalived/check.sh && chmod 755 /etc/keepalived/check.sh', { input: script });
      assert.equal(r.code, 0, r.stderr);
      r = await lab.ssh(h, 'cat > /etc/keepalived/keepalived.conf && keepalived -f /etc/keepalived/keepalived.conf', { input: config(h, 100 - i * 10, vip) });
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => {
    await lab?.down();
  });

  it('gives the VIP to the highest priority and moves it when the holder\'s link is cut', async () => {
    await vipOn('k1');
    await lab.fault('k1', 'link-down');
    // k1 cannot hear anyone and may keep its copy; what counts is who answers on the bridge.
    await vipOn('k2', ['k2', 'k3']);
  });

  it('moves the VIP when the holder\'s check script fails', async () => {
    assert.equal((await lab.ssh('k2', 'touch /etc/keepalived/fail')).code, 0);
    await vipOn('k3', ['k2', 'k3']);
  });

  it('keeps the VIP on a host whose keepalived was SIGKILLed until the host restarts', async () => {
    const killed = await lab.fault('k3', 'kill', 'keepalived');
    assert.match(killed, /SIGKILL/);
    // Hosts share the machine's pid namespace: look at k3's own processes only.
    const k3 = lab.state().hosts.find((h) => h.name === 'k3')!;
    assert.deepEqual(netnsPids(k3.netns).filter((p) => comm(p) === 'keepalived'), []);
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok((await holders()).includes('k3'), 'a SIGKILLed keepalived cannot remove its VIP');
    const sshdBefore = lab.state().hosts.find((h) => h.name === 'k3')!.sshdPid;
    await lab.fault('k3', 'restart');
    assert.ok(!(await holders()).includes('k3'), 'restart must clear the stale VIP');
    const r = await lab.ssh('k3', `hostname; ip -o -4 addr show dev eth0; ls /run; test -e /etc/keepalived/keepalived.conf && echo config-kept`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^k3\n/);
    assert.match(r.stdout, new RegExp(` ${lab.address.k3.replace(/\./g, '\\.')}/24 `));
    assert.doesNotMatch(r.stdout, /keepalived\.pid/);
    assert.match(r.stdout, /config-kept/);
    assert.notEqual(lab.state().hosts.find((h) => h.name === 'k3')!.sshdPid, sshdBefore);
  });
});
