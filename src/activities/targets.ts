/** How the worker reaches a spec's host over SSH: addresses and paths only, never key material. */
import type { SshTarget } from '../ssh';
import type { Cluster } from '../spec/types';
import { admit } from './admit';

/** Every activity reaches a host through here, so this is where its spec is admitted. */
export function targetFor(spec: Cluster, hostName: string): SshTarget {
  admit(spec);
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
    sudo: ssh.user !== 'root',
    knownHostsPath: ssh.knownHostsPath,
    // A pin in the spec decides alone for its host; known_hosts still vouches for the others.
    ...(host.hostKeyFingerprint ? { hostKeyFingerprint: host.hostKeyFingerprint } : {}),
    bastion: ssh.bastion
      ? { address: ssh.bastion.address, port: ssh.bastion.port, user: ssh.bastion.user ?? ssh.user, ...(ssh.bastion.hostKeyFingerprint ? { hostKeyFingerprint: ssh.bastion.hostKeyFingerprint } : {}) }
      : undefined,
  };
}
