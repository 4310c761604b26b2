/**
 * The lab's network: one bridge per lab in the machine's namespace with one address in the
 * hosts' subnet (so the machine reaches their sshd), and one veth per host. Nothing is routed or
 * NATed: hosts only reach each other and the machine.
 */
import { pool, run, runRaw } from './exec';
import { enclosingSubnet, overlap, parseSubnet, Subnet, subnetString, bridgeAddress } from './ipv4';
import { listLabs, LabHostState, LabState } from './state';

interface IpAddr {
  ifname: string;
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}

async function machineAddresses(): Promise<IpAddr[]> {
  return JSON.parse(await run('ip', ['-j', 'addr', 'show'])) as IpAddr[];
}

/**
 * The subnet and bridge address for a new lab, refusing a subnet another lab or one of the
 * machine's interfaces already uses (their traffic would mix).
 */
export async function planNetwork(cluster: string, bridge: string, addresses: string[]): Promise<{ subnet: Subnet; bridgeAddress: string }> {
  const subnet = enclosingSubnet(addresses);
  for (const other of listLabs()) {
    if (other.cluster !== cluster && overlap(parseSubnet(other.subnet), subnet)) {
      throw new Error(`subnet ${subnetString(subnet)} is already used by lab ${other.cluster} (${other.subnet}); run hakube lab down --cluster ${other.cluster} first`);
    }
  }
  let existing: string | undefined;
  for (const link of await machineAddresses()) {
    for (const a of link.addr_info ?? []) {
      if (a.family !== 'inet') continue;
      if (link.ifname === bridge) {
        existing = a.local;
        continue;
      }
      if (overlap(parseSubnet(`${a.local}/${a.prefixlen}`), subnet)) {
        throw new Error(`subnet ${subnetString(subnet)} overlaps ${a.local}/${a.prefixlen} on the machine's interface ${link.ifname}`);
      }
    }
  }
  return { subnet, bridgeAddress: existing ?? bridgeAddress(subnet, addresses) };
}

export async function linkExists(name: string, netns?: string): Promise<boolean> {
  const args = netns ? ['-n', netns, 'link', 'show', name] : ['link', 'show', name];
  return (await runRaw('ip', args)).code === 0;
}

async function batch(lines: string[], netns?: string): Promise<void> {
  if (lines.length === 0) return;
  await run('ip', [...(netns ? ['-n', netns] : []), '-force', '-batch', '-'], { input: `${lines.join('\n')}\n` });
}

export async function ensureBridge(state: LabState): Promise<void> {
  const prefix = state.subnet.split('/')[1];
  if (!(await linkExists(state.bridge))) {
    // Snooping off: keepalived's VRRP multicast must reach every host with no IGMP querier.
    await batch([`link add ${state.bridge} type bridge mcast_snooping 0 stp_state 0 forward_delay 0`]);
  }
  const addrs = await run('ip', ['-o', '-4', 'addr', 'show', 'dev', state.bridge]);
  const lines = [`link set ${state.bridge} up`];
  if (!addrs.includes(` ${state.bridgeAddress}/`)) lines.push(`addr add ${state.bridgeAddress}/${prefix} dev ${state.bridge}`);
  await batch(lines);
}

/**
 * Makes the hosts' namespaces and veths that are missing, in one `ip -batch` run for the whole
 * lab plus one per host for its eth0: 100 hosts come up in seconds.
 */
export async function ensureHostLinks(state: LabState, hosts: LabHostState[]): Promise<void> {
  const existing = new Set((await run('ip', ['netns', 'list'])).split('\n').map((l) => l.split(' ')[0]));
  const links = new Set((JSON.parse(await run('ip', ['-j', 'link', 'show'])) as Array<{ ifname: string }>).map((l) => l.ifname));
  const fresh = new Set<string>();
  for (const h of hosts) {
    if (!existing.has(h.netns) || !(await linkExists('eth0', h.netns))) fresh.add(h.name);
  }
  const root: string[] = [];
  for (const h of hosts) {
    if (!fresh.has(h.name)) continue;
    if (!existing.has(h.netns)) root.push(`netns add ${h.netns}`);
    if (links.has(h.veth)) root.push(`link del ${h.veth}`);
    root.push(`link add ${h.veth} type veth peer name eth0 netns ${h.netns}`);
  }
  for (const h of hosts) root.push(`link set ${h.veth} master ${state.bridge} up`);
  await batch(root);
  const prefix = state.subnet.split('/')[1];
  await pool(hosts, 8, async (h) => {
    if (fresh.has(h.name)) await batch(['link set lo up', 'link set eth0 up', `addr add ${h.address}/${prefix} dev eth0`], h.netns);
    else await configureHostAddress(state, h);
  });
}

/** eth0 carries the spec address (and, with flush, only it: what a reboot leaves, VIPs gone). */
export async function configureHostAddress(state: LabState, h: LabHostState, flush = false): Promise<void> {
  const prefix = state.subnet.split('/')[1];
  const lines = ['link set lo up', 'link set eth0 up'];
  if (flush) lines.unshift('addr flush dev eth0');
  await batch(lines, h.netns);
  const have = await run('ip', ['-n', h.netns, '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
  if (!have.includes(` ${h.address}/${prefix} `)) await batch([`addr add ${h.address}/${prefix} dev eth0`], h.netns);
}
