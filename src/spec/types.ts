/**
 * The validated, fully-defaulted cluster spec every renderer and phase works from. Defaults
 * that depend on other fields (LB ports by type, the VRRP router id) are filled in here, so
 * nothing downstream has to guess.
 */
import type { ClusterParsed } from './schema';

type ParsedLb = ClusterParsed['spec']['loadBalancer'];
export type LoadBalancer = Omit<ParsedLb, 'port' | 'apiserverBindPort' | 'virtualRouterId'> & {
  port: number;
  apiserverBindPort: number;
  virtualRouterId: number;
};
export type ClusterSpec = Omit<ClusterParsed['spec'], 'loadBalancer'> & { loadBalancer: LoadBalancer };
export type Cluster = Omit<ClusterParsed, 'spec'> & { spec: ClusterSpec };
export type { HostSpec, Role } from './schema';

const DEFAULT_PORTS: Record<ParsedLb['type'], { port: number; apiserverBindPort: number }> = {
  // Seed 000: nginx takes 6443 on every node, so the apiservers move to 5443.
  'local-proxy': { port: 6443, apiserverBindPort: 5443 },
  // Seed 001: the VIP answers on 8443, haproxy forwards to apiservers on 6443.
  vip: { port: 8443, apiserverBindPort: 6443 },
  external: { port: 6443, apiserverBindPort: 6443 },
};

/**
 * A VRRP router id derived from the cluster name: clusters sharing a subnet get different ids
 * without anyone picking one (VRRP wants an id no other cluster on the segment uses), yet every plan of the same spec
 * agrees. FNV-1a, folded into 1..255.
 */
export function defaultVirtualRouterId(clusterName: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < clusterName.length; i++) {
    h ^= clusterName.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h % 255) + 1;
}

export function resolveDefaults(parsed: ClusterParsed): Cluster {
  const lb = parsed.spec.loadBalancer;
  const ports = DEFAULT_PORTS[lb.type];
  return {
    ...parsed,
    spec: {
      ...parsed.spec,
      loadBalancer: {
        ...lb,
        port: lb.port ?? ports.port,
        apiserverBindPort: lb.apiserverBindPort ?? ports.apiserverBindPort,
        virtualRouterId: lb.virtualRouterId ?? defaultVirtualRouterId(parsed.metadata.name),
      },
    },
  };
}
