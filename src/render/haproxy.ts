/**
 * Seed 001's haproxy on each control plane, in front of every apiserver. Health checks speak
 * TLS to /healthz (check-ssl verify none) instead of ssl-hello-chk, whose SSLv3 hello floods
 * apiserver logs with handshake errors; client/server timeouts are hours, not seconds, so
 * `kubectl exec` sessions are not cut after 20s of silence.
 */
import { controlPlanes } from '../spec/topology';
import type { Cluster } from '../spec/types';

/** `without`: a control plane to leave out of the backends (a failed join being compensated). */
export function renderHaproxyCfg(c: Cluster, without?: string): string {
  const lb = c.spec.loadBalancer;
  const t = lb.haproxy;
  const servers = controlPlanes(c)
    .filter((h) => h.name !== without)
    .map((h) => `    server ${h.name} ${h.address}:${lb.apiserverBindPort} check check-ssl verify none`)
    .join('\n');
  return `# Rendered by hakube for cluster ${c.metadata.name}: VIP ${lb.vip}:${lb.port} -> apiservers :${lb.apiserverBindPort}
global
    log stdout format raw local0 info
    maxconn 4000

defaults
    mode tcp
    log global
    option tcplog
    option dontlognull
    option redispatch
    retries 1
    timeout connect ${t.timeoutConnect}
    timeout client ${t.timeoutClient}
    timeout server ${t.timeoutServer}
    timeout check ${t.timeoutCheck}

frontend apiserver
    bind *:${lb.port}
    default_backend apiserver

backend apiserver
    option httpchk GET /healthz
    http-check expect status 200
    balance roundrobin
    default-server inter 3s fall 3 rise 2
${servers}
`;
}
