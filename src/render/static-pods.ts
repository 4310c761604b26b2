/**
 * haproxy and keepalived as static pods on each control plane, so the kubelet keeps
 * them running and moving a manifest away stops them. The config files are mounted at the same
 * path inside the container as on the host, and the commands name the config explicitly, so
 * any image that ships the binary works.
 */
import type { Cluster } from '../spec/types';
import { fingerprint } from './hash';
import { HAPROXY_CFG, KEEPALIVED_CHECK, KEEPALIVED_CONF } from './paths';
import { toYaml } from './yaml';

const fileVolume = (name: string, path: string) => ({
  volume: { name, hostPath: { path, type: 'File' } },
  mount: { name, mountPath: path, readOnly: true },
});

/** `config`: the haproxy.cfg it runs, fingerprinted so a new config restarts the pod. */
export function renderHaproxyManifest(c: Cluster, config: string): string {
  const lb = c.spec.loadBalancer;
  const cfg = fileVolume('haproxy-cfg', HAPROXY_CFG);
  return toYaml({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'haproxy',
      namespace: 'kube-system',
      labels: { component: 'haproxy', tier: 'control-plane' },
      annotations: { 'hakube.io/config-fingerprint': fingerprint(config) },
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

/** `config`: this host's keepalived.conf and check script, fingerprinted like haproxy's. */
export function renderKeepalivedManifest(c: Cluster, config: string): string {
  const lb = c.spec.loadBalancer;
  const conf = fileVolume('keepalived-conf', KEEPALIVED_CONF);
  const check = fileVolume('keepalived-check', KEEPALIVED_CHECK);
  return toYaml({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'keepalived',
      namespace: 'kube-system',
      labels: { component: 'keepalived', tier: 'control-plane' },
      annotations: { 'hakube.io/config-fingerprint': fingerprint(config) },
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
          volumeMounts: [conf.mount, check.mount],
        },
      ],
      volumes: [conf.volume, check.volume],
    },
  });
}
