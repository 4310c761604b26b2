/** `hakube join-command CLUSTER [--control-plane]`: a fresh join line on stdout, nothing else there. */
import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../temporal/connection-flags';
import { writeStdout } from './plan';

interface Flags extends ConnectionFlags {
  controlPlane?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('join-command')
    .description("print a fresh `kubeadm join` line for a node joined by hand: a new bootstrap token (24 h) on master0; with --control-plane also a freshly uploaded certificate key (2 h)")
    .argument('<cluster>', 'cluster name (metadata.name of its deployed spec)')
    .option('--control-plane', 'for a control plane: upload the certificates under a new key');
  addConnectionOptions(cmd).action(async (cluster: string, flags: Flags) => {
    const { connectClient } = await import('../temporal/connection');
    const { joinCommandLine } = await import('../client/join-command');
    const client = await connectClient(flags);
    try {
      const line = await joinCommandLine(client, cluster, !!flags.controlPlane);
      if (flags.controlPlane) {
        process.stderr.write(
          'warning: this line carries the certificate key, which decrypts the cluster CA and service-account keys for 2 hours: give it to one host only, over a private channel; add --apiserver-advertise-address for that host\n',
        );
      }
      await writeStdout(`${line}\n`);
    } finally {
      await client.connection.close();
    }
  });
}
