/**
 * haproxy and keepalived as static pods on each control plane, so the kubelet keeps
 * them running and moving a manifest away stops them. The config directories are mounted at
 * the same path inside the container as on the host, and the commands name the config
 * explicitly, so any image that ships the binary works.
 *
 * A manifest does not change with its config: a new manifest makes the kubelet restart the
 * pod, which drops every connection through it. A new config is reloaded in place instead
 * (render/reload.ts). Directories, not single files, are mounted: a file replaced by rename
 * would stay the old inode inside a running container.
 */
import type { Cluster } from '../spec/types';
import { HAPROXY_CFG, HAPROXY_DIR, KEEPALIVED_CONF, KEEPALIVED_DIR } from './paths';
import { toYaml } from './yaml';

const dirVolume = (name: string, path: string) => ({
  volume: { name, hostPath: { path, type: 'Directory' } },
  mount: { name, mountPath: path, readOnly: true },
});

/** haproxy in master-worker mode (-W): SIGUSR2 reloads its config without dropping connections. */
export function renderHaproxyManifest(c: Cluster): string {
  const lb = c.spec.loadBalancer;
  const cfg = dirVolume('haproxy-cfg', HAPROXY_DIR);
  return toYaml({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'haproxy',
      namespace: 'kube-system',
      labels: { component: 'haproxy', tier: 'control-plane' },
    },
    spec: {
      hostNetwork: true,
      priorityClassName: 'system-node-critical',
      containers: [
        {
          name: 'haproxy',
          image: lb.haproxy.image,
          command: ['haproxy', '-W', '-db', '-f', HAPROXY_CFG],
          livenessProbe: { failureThreshold: 8, tcpSocket: { host: '127.0.0.1', port: lb.port }, periodSeconds: 10 },
          volumeMounts: [cfg.mount],
        },
      ],
      volumes: [cfg.volume],
    },
  });
}

/** keepalived.conf and its check script (one directory): SIGHUP reloads them, the VIP stays put. */
export function renderKeepalivedManifest(c: Cluster): string {
  const lb = c.spec.loadBalancer;
  const conf = dirVolume('keepalived-conf', KEEPALIVED_DIR);
  return toYaml({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'keepalived',
      namespace: 'kube-system',
      labels: { component: 'keepalived', tier: 'control-plane' },
    },
    spec: {
      hostNetwork: true,
      priorityClassName: 'system-node-critical',
      containers: [
        {
          name: 'keepalived',
          image: lb.keepalived.image,
          command: ['keepalived', '--dont-fork', '--log-console', '--vrrp', '-f', KEEPALIVED_CONF],
          securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_BROADCAST', 'NET_RAW'] } },
          volumeMounts: [conf.mount],
        },
      ],
      volumes: [conf.volume],
    },
  });
}
