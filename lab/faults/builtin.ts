/** The lab's own faults: network cuts, sshd, killing daemons, rebooting a host. */
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { run } from '../exec';
import { restartHost, startSshdOnly, stopSshd } from '../lifecycle';
import { cmdline, comm, killAndWait, netnsPids } from '../proc';
import { registerFault } from './registry';

for (const [kind, state] of [['link-down', 'down'], ['link-up', 'up']] as const) {
  registerFault({
    kind,
    usage: `${kind}: ${state === 'down' ? 'cut' : 'reconnect'} the host's cable (its veth on the bridge goes ${state})`,
    async run({ host }) {
      await run('ip', ['link', 'set', host.veth, state]);
      return `${host.name}: link ${state}`;
    },
  });
}

registerFault({
  kind: 'sshd-stop',
  usage: 'sshd-stop: stop the host\'s sshd (open sessions stay, as with systemctl stop ssh)',
  async run({ state, host }) {
    await stopSshd(state, host);
    return `${host.name}: sshd stopped`;
  },
});

registerFault({
  kind: 'sshd-start',
  usage: 'sshd-start: start the host\'s sshd again',
  async run({ state, host }) {
    await startSshdOnly(state, host);
    return `${host.name}: sshd running`;
  },
});

registerFault({
  kind: 'sshd-restart',
  usage: 'sshd-restart: stop and start the host\'s sshd',
  async run({ state, host }) {
    await stopSshd(state, host);
    await startSshdOnly(state, host);
    return `${host.name}: sshd restarted`;
  },
});

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

registerFault({
  kind: 'kill',
  usage: 'kill DAEMON [--signal SIG]: kill the host\'s processes named DAEMON (default SIGKILL)',
  async run({ host, args }) {
    const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { signal: { type: 'string', default: 'SIGKILL' } } });
    const [daemon] = positionals;
    if (!daemon) throw new Error('kill: name the daemon, e.g. hakube lab fault k1 kill keepalived');
    const signal = (values.signal.startsWith('SIG') ? values.signal : `SIG${values.signal}`) as NodeJS.Signals;
    const matching = () => netnsPids(host.netns).filter((p) => p !== host.holderPid && p !== host.sshdPid)
      .filter((p) => comm(p) === daemon || basename(cmdline(p)[0] ?? '') === daemon);
    const pids = matching();
    if (pids.length === 0) throw new Error(`${host.name}: no process named ${daemon}`);
    if (signal === 'SIGKILL') {
      // Freeze them all first, so they die as one: a dying parent must not respawn children,
      // nor children clean up on its death (keepalived's PDEATHSIG would remove the VIP).
      for (let i = 0; i < 5; i++) {
        for (const p of pids) signalQuietly(p, 'SIGSTOP');
        const fresh = matching().filter((p) => !pids.includes(p));
        if (fresh.length === 0) break;
        pids.push(...fresh);
      }
    }
    await killAndWait(pids, signal, signal === 'SIGKILL' ? 5000 : 15000).catch(() => undefined);
    return `${host.name}: sent ${signal} to ${daemon} (pids ${pids.join(' ')})`;
  },
});

registerFault({
  kind: 'restart',
  usage: 'restart: reboot the host (every process killed, extra addresses and /run gone, sshd and lab-boot started)',
  async run({ state, host }) {
    await restartHost(state, host);
    return `${host.name}: restarted`;
  },
});
