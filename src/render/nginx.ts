/**
 * Seed 000's apiserver proxy: a dedicated nginx (its own config and unit, apart from any
 * distro nginx) on every node, listening on 127.0.0.1:PORT and spreading TCP over every
 * control plane's apiserver.
 */
import { controlPlanes } from '../spec/topology';
import type { Cluster } from '../spec/types';
import { NGINX_PROXY_CONF } from './paths';

/** `without`: a control plane to leave out of the backends (a failed join being compensated). */
export function renderNginxConf(c: Cluster, without?: string): string {
  const lb = c.spec.loadBalancer;
  const servers = controlPlanes(c)
    .filter((h) => h.name !== without)
    .map((h) => `        server ${h.address}:${lb.apiserverBindPort} max_fails=2 fail_timeout=10s; # ${h.name}`)
    .join('\n');
  return `# Rendered by hakube: L4 proxy to the apiservers of cluster ${c.metadata.name}.
# The stream module is dynamic on Debian/Ubuntu (libnginx-mod-stream) and RHEL (nginx-mod-stream):
# load it the way the distro does; a glob that matches nothing is fine where it is built in.
include /etc/nginx/modules-enabled/*.conf;
include /usr/share/nginx/modules/*.conf;

error_log stderr notice;
pid /run/kube-apiserver-proxy.pid;
worker_processes 1;

events {
    worker_connections 1024;
}

stream {
    upstream kube_apiserver {
        least_conn;
${servers}
    }

    server {
        listen 127.0.0.1:${lb.port};
        proxy_pass kube_apiserver;
        proxy_connect_timeout 2s;
        # Long enough for kubectl exec/logs -f sessions (20 s timeouts cut them).
        proxy_timeout ${lb.proxyTimeout};
    }
}
`;
}

export function renderNginxUnit(): string {
  return `# Rendered by hakube: the local apiserver proxy, started before kubeadm on every node.
[Unit]
Description=Kubernetes apiserver L4 proxy (nginx)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStartPre=nginx -t -q -c ${NGINX_PROXY_CONF}
ExecStart=nginx -c ${NGINX_PROXY_CONF} -g "daemon off;"
ExecReload=nginx -c ${NGINX_PROXY_CONF} -s reload
Restart=always
RestartSec=5s

[Install]
WantedBy=multi-user.target
`;
}
