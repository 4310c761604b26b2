/**
 * examples/ha-vip.yaml grown to 3 masters + N workers on a free lab /24 under a unique name: the
 * spec an operator would write for that many hosts, with the lab's key and known_hosts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { clusterDir } from '../lab/paths';
import { PROJECT_ROOT } from '../src/temporal/paths';
import { freeSubnet, uniqueClusterName } from '../test/helpers/lab';

export async function writeHaVipLabSpec(workers: number, prefix: string): Promise<{ cluster: string; specPath: string }> {
  // .11 onwards, the VIP at .250 and the bridge at .254: a /24 holds up to 3 + 236 hosts.
  if (workers > 236) throw new Error('at most 236 workers on one /24');
  const doc = parse(readFileSync(join(PROJECT_ROOT, 'examples', 'ha-vip.yaml'), 'utf8')) as {
    metadata: { name: string };
    spec: { ssh: Record<string, unknown>; hosts: Array<{ name: string; address: string; roles: string[] }>; loadBalancer: { vip?: string } };
  };
  const cluster = uniqueClusterName(prefix);
  const net = await freeSubnet();
  const dir = clusterDir(cluster);
  doc.metadata.name = cluster;
  doc.spec.hosts = [
    ...[1, 2, 3].map((i) => ({ name: `m${i}`, address: '', roles: ['control-plane'] })),
    ...Array.from({ length: workers }, (_, i) => ({ name: `w${i + 1}`, address: '', roles: ['worker'] })),
  ].map((h, i) => ({ ...h, address: `${net}.${i + 11}` }));
  doc.spec.loadBalancer.vip = `${net}.250`;
  doc.spec.ssh.privateKeyPath = join(dir, 'id_ed25519');
  doc.spec.ssh.knownHostsPath = join(dir, 'known_hosts');
  mkdirSync(dir, { recursive: true });
  const specPath = join(dir, 'cluster.yaml');
  writeFileSync(specPath, stringify(doc));
  return { cluster, specPath };
}
