/**
 * Lab hosts for e2e tests: bring a lab up from a spec file or from an in-memory spec with a
 * unique cluster name and a free subnet, run commands on its hosts, and tear it down.
 *
 *   const lab = await startLab({ prefix: 'etcd', hosts: ['e1', 'e2', 'e3'] });
 *   after(() => lab.down());
 *   const r = await lab.ssh('e1', 'hostname');   // over real SSH with the lab key
 *   await lab.exec('e2', ['cat', '/etc/hostname']); // nsenter, no SSH
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { RunOptions, run, RunResult } from '../../lab/exec';
import { hostExec, sshArgs, sshExec } from '../../lab/access';
import { runFault } from '../../lab/faults';
import { labDown, labUp } from '../../lab/lifecycle';
import { overlap, parseSubnet } from '../../lab/ipv4';
import { clusterDir, labRoot } from '../../lab/paths';
import { readLabSpec } from '../../lab/spec';
import { listLabs, LabState, readState } from '../../lab/state';

export interface TestLab {
  cluster: string;
  specPath: string;
  /** Address of each host by name. */
  address: Record<string, string>;
  /** The lab's subnet prefix, e.g. "10.123.7." — handy for extra addresses such as a VIP. */
  net: string;
  vip?: string;
  state(): LabState;
  /** A shell command line run over SSH with the lab key. */
  ssh(host: string, command: string, opts?: RunOptions): Promise<RunResult>;
  /** argv run inside the host's namespaces (works while sshd is stopped). */
  exec(host: string, argv: string[], opts?: { input?: string; timeoutMs?: number }): Promise<RunResult>;
  /** Same as `hakube lab fault HOST KIND ARGS...`. */
  fault(host: string, kind: string, ...args: string[]): Promise<string>;
  /** ssh(1) argv (without the command) for tests that spawn ssh themselves. */
  sshArgv(host: string): string[];
  down(): Promise<void>;
}

export interface HostInput {
  name: string;
  roles?: string[];
}

export interface LabInput {
  /** Becomes the start of the cluster name (a DNS-1123 label). */
  prefix?: string;
  hosts: Array<string | HostInput> | number;
  /** A VIP in the lab subnet (.250) and loadBalancer type vip. */
  vip?: boolean;
  /** Merged into `spec` of the generated cluster.yaml (e.g. { etcd: { topology: 'external' } }). */
  spec?: Record<string, unknown>;
}

let counter = 0;

/** A cluster name no other lab of this machine uses. */
export function uniqueClusterName(prefix = 'lab'): string {
  const taken = new Set(listLabs().map((l) => l.cluster));
  for (;;) {
    const name = `${prefix}-${process.pid.toString(36)}${(counter++).toString(36)}`.toLowerCase().slice(0, 40);
    if (!taken.has(name)) return name;
  }
}

/**
 * A free block in 10.200.0.0-10.239.255.255 (clear of the default pod and service subnets) that
 * no lab and no interface of the machine uses; returns its first three octets ("10.213.8").
 * `prefix` 24 by default; 22 gives room for up to 1000 hosts (third octet +0..+3).
 */
export async function freeSubnet(prefix = 24): Promise<string> {
  const used = listLabs().map((l) => parseSubnet(l.subnet));
  const ifaces = JSON.parse(await run('ip', ['-j', '-4', 'addr', 'show'])) as Array<{ addr_info?: Array<{ local: string; prefixlen: number }> }>;
  for (const i of ifaces) for (const a of i.addr_info ?? []) used.push(parseSubnet(`${a.local}/${a.prefixlen}`));
  const step = 2 ** (24 - Math.min(24, Math.max(16, prefix)));
  for (let tries = 0; tries < 1000; tries++) {
    const third = Math.floor(Math.random() * (256 / step)) * step;
    const net = `10.${200 + Math.floor(Math.random() * 40)}.${third}`;
    const s = parseSubnet(`${net}.0/${prefix}`);
    if (!used.some((u) => overlap(u, s))) return net;
  }
  throw new Error('no free subnet found for a test lab');
}

/** Writes a valid hakube.io/v1alpha1 cluster spec for the hosts and returns its path. */
export async function writeLabSpec(input: LabInput): Promise<{ cluster: string; specPath: string; net: string; vip?: string }> {
  const cluster = uniqueClusterName(input.prefix);
  const net = await freeSubnet();
  const list = typeof input.hosts === 'number' ? Array.from({ length: input.hosts }, (_, i) => `h${i + 1}`) : input.hosts;
  const hosts = list.map((h, i) => {
    const x = typeof h === 'string' ? { name: h } : h;
    return { name: x.name, address: `${net}.${i + 11}`, roles: x.roles ?? (i < 3 ? ['control-plane', 'etcd'] : ['worker']) };
  });
  if (!hosts.some((h) => h.roles.includes('control-plane'))) hosts[0].roles = ['control-plane', ...hosts[0].roles];
  const vip = input.vip ? `${net}.250` : undefined;
  const dir = clusterDir(cluster);
  const doc = {
    apiVersion: 'hakube.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: cluster },
    spec: {
      ssh: { user: 'root', port: 22, privateKeyPath: join(dir, 'id_ed25519'), knownHostsPath: join(dir, 'known_hosts') },
      hosts,
      ...(vip ? { loadBalancer: { type: 'vip', vip, interface: 'eth0' } } : {}),
      ...(input.spec ?? {}),
    },
  };
  mkdirSync(dir, { recursive: true });
  const specPath = join(dir, 'cluster.yaml');
  writeFileSync(specPath, stringify(doc));
  return { cluster, specPath, net, vip };
}

/** Brings up the lab a spec file describes. */
export async function startLabFromFile(specPath: string): Promise<TestLab> {
  const spec = readLabSpec(specPath);
  try {
    await labUp(spec, { specPath });
  } catch (err) {
    await labDown(spec.name).catch(() => undefined);
    throw err;
  }
  const state = readState(spec.name)!;
  const net = state.subnet.split('.').slice(0, 3).join('.');
  return handle(spec.name, specPath, `${net}.`, spec.vip);
}

/** Brings up a lab with a unique name and subnet; `down()` it in `after`. */
export async function startLab(input: LabInput): Promise<TestLab> {
  const { cluster, specPath } = await writeLabSpec(input);
  try {
    return await startLabFromFile(specPath);
  } catch (err) {
    rmSync(clusterDir(cluster), { recursive: true, force: true });
    throw err;
  }
}

function handle(cluster: string, specPath: string, net: string, vip?: string): TestLab {
  const state = () => {
    const s = readState(cluster);
    if (!s) throw new Error(`lab ${cluster} is down`);
    return s;
  };
  return {
    cluster,
    specPath,
    net,
    vip,
    address: Object.fromEntries(state().hosts.map((h) => [h.name, h.address])),
    state,
    ssh: (host, command, opts) => sshExec(cluster, host, command, opts),
    exec: (host, argv, opts) => hostExec(cluster, host, argv, opts),
    fault: (host, kind, ...args) => runFault(state(), host, kind, args),
    sshArgv: (host) => ['ssh', ...sshArgs(state(), host)],
    down: () => labDown(cluster),
  };
}

export { labRoot };
