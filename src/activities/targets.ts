/** How the worker reaches a spec's host over SSH: addresses and paths only, never key material. */
import type { SshTarget } from '../ssh';
import type { Cluster } from '../spec/types';

export function targetFor(spec: Cluster, hostName: string): SshTarget {
  const host = spec.spec.hosts.find((h) => h.name === hostName);
  if (!host) throw new Error(`no host named ${hostName} in cluster ${spec.metadata.name}`);
  const ssh = spec.spec.ssh;
  return {
    host: host.name,
    address: host.address,
    port: ssh.port,
    user: ssh.user,
    privateKeyPath: ssh.privateKeyPath,
    useAgent: !ssh.privateKeyPath,
    knownHostsPath: ssh.knownHostsPath,
    bastion: ssh.bastion ? { address: ssh.bastion.address, port: ssh.bastion.port, user: ssh.bastion.user ?? ssh.user } : undefined,
  };
}
