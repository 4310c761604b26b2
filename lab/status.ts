/** What `hakube lab status` shows: per host, is it on, does sshd run, what does it cost. */
import { readFileSync } from 'node:fs';
import { pidInNetns, pidsByNetns, rssKiB } from './proc';
import type { LabState } from './state';

export interface HostStatus {
  name: string;
  address: string;
  roles: string[];
  netns: string;
  up: boolean;
  sshd: boolean;
  /** The host's cable: its veth on the bridge (a `link-down` fault makes it "down"). */
  link: string;
  processes: number;
  rssKiB: number;
}

export interface LabStatus {
  cluster: string;
  subnet: string;
  bridge: string;
  bridgeAddress: string;
  vip?: string;
  privateKeyPath: string;
  knownHostsPath: string;
  hosts: HostStatus[];
}

function operstate(link: string): string {
  try {
    return readFileSync(`/sys/class/net/${link}/operstate`, 'utf8').trim();
  } catch {
    return 'missing';
  }
}

export function labStatus(state: LabState): LabStatus {
  const pids = pidsByNetns(state.hosts.map((h) => h.netns));
  return {
    cluster: state.cluster,
    subnet: state.subnet,
    bridge: state.bridge,
    bridgeAddress: state.bridgeAddress,
    vip: state.vip,
    privateKeyPath: state.privateKeyPath,
    knownHostsPath: state.knownHostsPath,
    hosts: state.hosts.map((h) => {
      const ps = pids.get(h.netns) ?? [];
      return {
        name: h.name,
        address: h.address,
        roles: h.roles,
        netns: h.netns,
        up: pidInNetns(h.holderPid, h.netns),
        sshd: pidInNetns(h.sshdPid, h.netns),
        link: operstate(h.veth),
        processes: ps.length,
        rssKiB: ps.reduce((sum, p) => sum + rssKiB(p), 0),
      };
    }),
  };
}

export function formatStatus(s: LabStatus): string {
  const rows = [['HOST', 'ADDRESS', 'STATE', 'SSHD', 'LINK', 'PROCS', 'RSS'], ...s.hosts.map((h) => [
    h.name, h.address, h.up ? 'up' : 'off', h.sshd ? 'running' : 'stopped', h.link, String(h.processes), `${(h.rssKiB / 1024).toFixed(1)} MiB`,
  ])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const table = rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
  return `lab ${s.cluster}: ${s.subnet} on bridge ${s.bridge} (${s.bridgeAddress})${s.vip ? `, VIP ${s.vip}` : ''}\n${table}\n`;
}
