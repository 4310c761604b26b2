/**
 * Bringing a lab up, reconciling it, powering hosts off and on, and tearing it down. Every
 * action checks what exists first, so each is safe to repeat.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { pool, run, runRaw, sleep } from './exec';
import { subnetString } from './ipv4';
import { configureHostAddress, ensureBridge, ensureHostLinks, planNetwork } from './net';
import { bridgeName, clusterDir, clusterTag, hostDir, NAME_PREFIX, netnsName, vethName, labRoot } from './paths';
import { killAndWait, netnsPids, pidInNetns, pidsByNetns } from './proc';
import { LabHostState, LabState, listLabs, readState, writeHostState, writeState } from './state';
import { defaultKeyPaths, ensureClientKey, ensureHostKeys, writeKnownHosts } from './keys';
import { prepareHostDirs, runLabBoot, startHolder, startSshd, waitForSshd } from './host';
import type { LabSpec } from './spec';

const CONCURRENCY = 8;

function hostState(cluster: string, h: { name: string; address: string; roles: string[] }, old?: LabHostState): LabHostState {
  return {
    name: h.name,
    address: h.address,
    roles: h.roles,
    netns: netnsName(cluster, h.name),
    veth: vethName(cluster, h.name),
    dir: hostDir(cluster, h.name),
    holderPid: old?.holderPid,
    sshdPid: old?.sshdPid,
  };
}

export interface UpOptions {
  specPath?: string;
}

/** Creates the lab or starts whatever of it is missing; returns its state. */
export async function labUp(spec: LabSpec, opts: UpOptions = {}): Promise<LabState> {
  if (spec.ssh.user !== 'root') throw new Error(`spec.ssh.user ${spec.ssh.user}: lab hosts take SSH logins as root only`);
  const names = new Set<string>();
  for (const h of spec.hosts) {
    if (names.has(h.name)) throw new Error(`host name ${h.name} appears twice`);
    names.add(h.name);
  }
  const old = readState(spec.name);
  const bridge = bridgeName(spec.name);
  const addresses = spec.hosts.map((h) => h.address);
  const net = await planNetwork(spec.name, bridge, spec.vip ? [...addresses, spec.vip] : addresses);
  const keys = defaultKeyPaths(spec.name, spec.ssh);
  const state: LabState = {
    cluster: spec.name,
    specPath: opts.specPath,
    subnet: subnetString(net.subnet),
    bridge,
    bridgeAddress: net.bridgeAddress,
    vip: spec.vip,
    sshUser: spec.ssh.user,
    sshPort: spec.ssh.port,
    ...keys,
    hosts: spec.hosts.map((h) => hostState(spec.name, h, old?.hosts.find((o) => o.name === h.name))),
  };
  if (old && old.subnet !== state.subnet) throw new Error(`lab ${spec.name} already runs on ${old.subnet}; run hakube lab down first to move it to ${state.subnet}`);
  if (new Set(addresses).size !== addresses.length) throw new Error('two hosts share an address');
  if (spec.vip && addresses.includes(spec.vip)) throw new Error(`the VIP ${spec.vip} is also a host's address`);

  mkdirSync(clusterDir(spec.name), { recursive: true });
  // Hosts dropped from the spec since the last `up` are powered off and removed.
  const dropped = (old?.hosts ?? []).filter((o) => !names.has(o.name));
  writeState({ ...state, hosts: [...state.hosts, ...dropped] });
  await removeHosts(dropped);

  await ensureBridge(state);
  await ensureHostLinks(state, state.hosts);
  await ensureClientKey(state);
  await ensureHostKeys(state);
  // One pass over /proc for the whole lab rather than one per host.
  const running = pidsByNetns(state.hosts.map((h) => h.netns));
  await pool(state.hosts, CONCURRENCY, (h) => bootHost(state, h, running.get(h.netns)));
  writeKnownHosts(state);
  writeState(state);
  return state;
}

/**
 * Boots the host if it is off, starts its sshd if it is down; waits until SSH answers.
 * `pids`: the host's processes when the caller already looked them up.
 */
export async function bootHost(state: LabState, h: LabHostState, pids?: number[]): Promise<void> {
  prepareHostDirs(state, h);
  let booted = false;
  if (!pidInNetns(h.holderPid, h.netns)) {
    // Leftovers of a half-dead host would keep its old mounts: power it off fully first.
    await killAndWait(pids ?? netnsPids(h.netns));
    h.holderPid = await startHolderRetrying(h);
    h.sshdPid = undefined;
    booted = true;
  }
  if (!pidInNetns(h.sshdPid, h.netns)) h.sshdPid = startSshd(h, h.holderPid!);
  await waitForSshd(h, h.holderPid!, state.sshPort);
  if (booted) runLabBoot(h, h.holderPid!);
}

/**
 * The previous boot's mount namespace is torn down asynchronously after its last process dies;
 * until then overlayfs may refuse the same upper dir, so a fresh boot gets a few tries.
 */
async function startHolderRetrying(h: LabHostState): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startHolder(h);
    } catch (err) {
      if (attempt >= 3) throw err;
      await sleep(200 * attempt);
    }
  }
}

/** A reboot: every process of the host killed, eth0 back to only its own address, /run fresh. */
export async function restartHost(state: LabState, h: LabHostState): Promise<void> {
  await killAndWait(netnsPids(h.netns));
  h.holderPid = undefined;
  h.sshdPid = undefined;
  await configureHostAddress(state, h, true);
  await bootHost(state, h);
  writeHostState(state.cluster, h);
}

export async function stopSshd(state: LabState, h: LabHostState): Promise<void> {
  if (pidInNetns(h.sshdPid, h.netns)) await killAndWait([h.sshdPid!], 'SIGTERM');
  h.sshdPid = undefined;
  writeHostState(state.cluster, h);
}

export async function startSshdOnly(state: LabState, h: LabHostState): Promise<void> {
  if (!pidInNetns(h.holderPid, h.netns)) throw new Error(`host ${h.name} is powered off; use hakube lab up or fault ${h.name} restart`);
  if (!pidInNetns(h.sshdPid, h.netns)) h.sshdPid = startSshd(h, h.holderPid!);
  writeHostState(state.cluster, h);
  await waitForSshd(h, h.holderPid!, state.sshPort);
}

async function removeHosts(hosts: LabHostState[]): Promise<void> {
  if (hosts.length === 0) return;
  const byNs = pidsByNetns(hosts.map((h) => h.netns));
  await killAndWait([...byNs.values()].flat());
  const dels = hosts.filter((h) => existsSync(`/run/netns/${h.netns}`)).map((h) => `netns del ${h.netns}`);
  // -force: carry on past a namespace someone removed meanwhile. Deleting a netns deletes its
  // eth0 and with it the veth peer on the bridge.
  if (dels.length) await runRaw('ip', ['-force', '-batch', '-'], { input: `${dels.join('\n')}\n` });
  const links = new Set((JSON.parse(await run('ip', ['-j', 'link', 'show'])) as Array<{ ifname: string }>).map((l) => l.ifname));
  for (const h of hosts) if (links.has(h.veth)) await runRaw('ip', ['link', 'del', h.veth]);
  for (const h of hosts) rmSync(h.dir, { recursive: true, force: true });
}

/**
 * Removes every process, namespace, veth and the bridge of the lab, then its files. Works from
 * the state file when there is one and from the names' cluster tag when there is not.
 */
export async function labDown(cluster: string): Promise<void> {
  const state = readState(cluster);
  const tag = clusterTag(cluster);
  const nsPrefix = `${NAME_PREFIX.netns}${tag}-`;
  const known = new Map((state?.hosts ?? []).map((h) => [h.netns, h] as const));
  const netnsList = (await run('ip', ['netns', 'list'])).split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
  const hosts: LabHostState[] = [...known.values()];
  for (const ns of netnsList) {
    if (ns.startsWith(nsPrefix) && !known.has(ns)) {
      const name = ns.slice(nsPrefix.length);
      hosts.push({ name, address: '', roles: [], netns: ns, veth: vethName(cluster, name), dir: hostDir(cluster, name) });
    }
  }
  await removeHosts(hosts);
  // Veths whose namespace vanished earlier, then the bridge.
  const links = (JSON.parse(await run('ip', ['-j', 'link', 'show'])) as Array<{ ifname: string }>).map((l) => l.ifname);
  const stray = links.filter((l) => l.startsWith(`${NAME_PREFIX.veth}${tag}`) || l === bridgeName(cluster));
  for (const l of stray) await runRaw('ip', ['link', 'del', l]);
  rmSync(clusterDir(cluster), { recursive: true, force: true });
}

/** Tears down every lab with a state file, then any lab-named namespace or link left over. */
export async function labDownAll(): Promise<string[]> {
  const clusters = listLabs().map((s) => s.cluster);
  for (const c of clusters) await labDown(c);
  const orphans = (await run('ip', ['netns', 'list'])).split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(NAME_PREFIX.netns));
  if (orphans.length) {
    const byNs = pidsByNetns(orphans);
    await killAndWait([...byNs.values()].flat());
    for (const ns of orphans) await runRaw('ip', ['netns', 'del', ns]);
  }
  const links = (JSON.parse(await run('ip', ['-j', 'link', 'show'])) as Array<{ ifname: string }>).map((l) => l.ifname);
  for (const l of links.filter((x) => x.startsWith(NAME_PREFIX.veth) || x.startsWith(NAME_PREFIX.bridge))) await runRaw('ip', ['link', 'del', l]);
  if (existsSync(labRoot())) {
    // Only directories of labs; whatever else lives under the lab root stays.
    for (const c of clusters) rmSync(clusterDir(c), { recursive: true, force: true });
  }
  return clusters;
}
