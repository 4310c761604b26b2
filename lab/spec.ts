/**
 * What the lab needs from a cluster spec: the hosts, how hakube will SSH to them, and the VIP
 * the hosts must not collide with. Files go through the product's own loader (src/spec), so a
 * spec the lab accepts is one `hakube deploy` accepts.
 */
import { loadSpec } from '../src/spec/load';
import type { Cluster } from '../src/spec';

export interface LabHostSpec {
  name: string;
  address: string;
  roles: string[];
}

export interface LabSpec {
  name: string;
  hosts: LabHostSpec[];
  ssh: { user: string; port: number; privateKeyPath?: string; knownHostsPath?: string };
  vip?: string;
}

export function labSpecFromCluster(c: Cluster): LabSpec {
  return {
    name: c.metadata.name,
    hosts: c.spec.hosts.map((h) => ({ name: h.name, address: h.address, roles: [...h.roles] })),
    ssh: { user: c.spec.ssh.user, port: c.spec.ssh.port, privateKeyPath: c.spec.ssh.privateKeyPath, knownHostsPath: c.spec.ssh.knownHostsPath },
    vip: c.spec.loadBalancer.vip,
  };
}

/** Throws CliError (exit 2) listing every problem of the file. */
export function readLabSpec(path: string): LabSpec {
  return labSpecFromCluster(loadSpec(path));
}
