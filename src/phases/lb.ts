/**
 * lb: how clients reach the apiservers, in place before kubeadm runs.
 * local-proxy (seed 000): nginx on every node, 127.0.0.1:port -> every control plane.
 * vip (seed 001): haproxy + keepalived as static pods on each control plane.
 * external: the operator's load balancer; nothing to do here.
 */
import {
  HAPROXY_CFG,
  HAPROXY_MANIFEST,
  KEEPALIVED_CHECK,
  KEEPALIVED_CONF,
  KEEPALIVED_MANIFEST,
  NGINX_PROXY_CONF,
  NGINX_PROXY_UNIT,
} from '../render/paths';
import { renderHaproxyCfg } from '../render/haproxy';
import { keepalivedPriorities, renderKeepalivedCheck, renderKeepalivedConf } from '../render/keepalived';
import { renderNginxConf, renderNginxUnit } from '../render/nginx';
import { renderHaproxyManifest, renderKeepalivedManifest } from '../render/static-pods';
import { controlPlanes, controlPlaneEndpoint, nodes } from '../spec/topology';
import type { Cluster, HostSpec } from '../spec/types';
import type { PlannedStep } from '../plan/types';
import { unitScripts } from './etcd';
import { cmd, file, runScript, step } from './step';
import type { PhaseModule } from './types';

/** nginx proxy on one node; `without` leaves a control plane out of the backends. */
export function nginxStep(c: Cluster, h: HostSpec, without?: string): PlannedStep {
  const lb = c.spec.loadBalancer;
  const backends = controlPlanes(c).filter((x) => x.name !== without).length;
  return step('lb', h.name, 'nginx', `nginx L4 proxy 127.0.0.1:${lb.port} -> ${backends} apiserver(s) on :${lb.apiserverBindPort} (systemd kube-apiserver-proxy)`, {
    files: [file(NGINX_PROXY_CONF, renderNginxConf(c, without)), file(NGINX_PROXY_UNIT, renderNginxUnit()), ...unitScripts()],
    check: runScript('unit-ok', 'kube-apiserver-proxy', NGINX_PROXY_CONF, NGINX_PROXY_UNIT),
    commands: [cmd('nginx', '-t', '-q', '-c', NGINX_PROXY_CONF), runScript('unit-apply', 'kube-apiserver-proxy', NGINX_PROXY_CONF, NGINX_PROXY_UNIT)],
  });
}

/** haproxy config and its static pod; `without` leaves a control plane out of the backends. */
export function haproxyFiles(c: Cluster, without?: string) {
  const cfg = renderHaproxyCfg(c, without);
  return [file(HAPROXY_CFG, cfg), file(HAPROXY_MANIFEST, renderHaproxyManifest(c, cfg), '0600')];
}

function vipStep(c: Cluster, h: HostSpec): PlannedStep {
  const lb = c.spec.loadBalancer;
  const me = keepalivedPriorities(c).find((p) => p.host === h.name);
  const conf = renderKeepalivedConf(c, h);
  const check = renderKeepalivedCheck(c);
  const how = me && me.weight ? `weight -${me.weight}` : 'check failure = FAULT';
  return step('lb', h.name, 'vip', `haproxy :${lb.port} + keepalived VIP ${lb.vip} (priority ${me?.priority}, ${how}${lb.keepalived.nopreempt ? ', nopreempt' : ''}) as static pods`, {
    files: [
      ...haproxyFiles(c),
      file(KEEPALIVED_CONF, conf),
      file(KEEPALIVED_CHECK, check, '0755'),
      file(KEEPALIVED_MANIFEST, renderKeepalivedManifest(c, conf + check), '0600'),
    ],
  });
}

export const lb: PhaseModule = {
  name: 'lb',
  title: 'apiserver load balancing',
  skipReason: (c) =>
    c.spec.loadBalancer.type === 'external'
      ? `the load balancer is external: ${controlPlaneEndpoint(c)} is yours, and must forward to every control plane on :${c.spec.loadBalancer.apiserverBindPort}`
      : undefined,
  hosts: (c) => {
    const t = c.spec.loadBalancer.type;
    return (t === 'local-proxy' ? nodes(c) : t === 'vip' ? controlPlanes(c) : []).map((h) => h.name);
  },
  concurrency: (c) => Math.max(1, Math.min(c.spec.workers.concurrency, lb.hosts(c).length)),
  steps: (c) => {
    const t = c.spec.loadBalancer.type;
    if (t === 'local-proxy') return nodes(c).map((h) => nginxStep(c, h));
    if (t === 'vip') return controlPlanes(c).map((h) => vipStep(c, h));
    return [];
  },
};
