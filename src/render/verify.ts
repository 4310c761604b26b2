/** Scripts for the verify phase: what the seeds check by hand after building a cluster. */
import { controlPlaneEndpoint, nodes } from '../spec/topology';
import type { Cluster } from '../spec/types';
import { ADMIN_CONF, KEEPALIVED_MANIFEST, STATE_DIR } from './paths';
import { toYamlDocs } from './yaml';

const K = `kubectl --kubeconfig ${ADMIN_CONF}`;

export function renderNodesReadyScript(c: Cluster, timeoutSeconds = 300): string {
  const names = nodes(c).map((h) => h.name).join(' ');
  return `#!/bin/sh
# Rendered by hakube: wait until every node of ${c.metadata.name} is registered and Ready.
NODES="${names}"
deadline=$(( $(date +%s) + ${timeoutSeconds} ))
while :; do
    waiting=""
    for n in $NODES; do
        s=$(${K} get node "$n" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)
        [ "$s" = "True" ] || waiting="$waiting $n"
    done
    [ -z "$waiting" ] && break
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "nodes not Ready after ${timeoutSeconds}s:$waiting" >&2; ${K} get nodes -o wide >&2; exit 1; fi
    sleep 3
done
${K} get nodes -o wide
`;
}

/** Seed 001 verification 4: take keepalived away from the VIP holder; the VIP must move and keep serving. */
export function renderVipDrillScript(c: Cluster): string {
  const lb = c.spec.loadBalancer;
  return `#!/bin/sh
# Rendered by hakube: VIP failover drill for ${c.metadata.name}. keepalived's manifest is moved
# away on this host while it holds ${lb.vip}; the VIP must leave and the apiserver must answer
# through it from another control plane. The manifest is always put back.
VIP=${lb.vip}
PORT=${lb.port}
M=${KEEPALIVED_MANIFEST}
P=${STATE_DIR}/keepalived.yaml.drill
holds() { ip -o addr show | grep -qw "$VIP"; }
healthz() { ${K} --server "https://$VIP:$PORT" get --raw /healthz >/dev/null 2>&1; }
wait_for() { i=0; until "$@"; do i=$((i + 1)); [ "$i" -ge 90 ] && return 1; sleep 1; done; }
not_holds() { ! holds; }

wait_for healthz || { echo "the apiserver does not answer through $VIP:$PORT" >&2; exit 1; }
if ! holds; then
    echo "$VIP is held by another control plane and answers; drill runs where the VIP is"
    exit 0
fi
mkdir -p ${STATE_DIR}
mv "$M" "$P"
trap 'mv "$P" "$M"' EXIT
wait_for not_holds || { echo "$VIP did not leave $(hostname) within 90s of stopping keepalived" >&2; exit 1; }
wait_for healthz || { echo "no apiserver answers through $VIP:$PORT after failover" >&2; exit 1; }
echo "VIP $VIP moved off $(hostname); the apiserver answers through it"
`;
}

export function renderTestWorkload(c: Cluster): string {
  const labels = { app: 'hakube-verify' };
  return toYamlDocs([
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'hakube-verify', namespace: 'default', labels },
      spec: {
        replicas: Math.min(3, nodes(c).length),
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'nginx', image: 'docker.io/library/nginx:1.27-alpine', ports: [{ containerPort: 80 }] }] } },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'hakube-verify', namespace: 'default' }, spec: { selector: labels, ports: [{ protocol: 'TCP', port: 80, targetPort: 80 }] } },
  ]);
}

export function renderTestWorkloadScript(c: Cluster, manifest: string): string {
  return `#!/bin/sh
# Rendered by hakube: seed 000's test deployment and service on ${c.metadata.name}; removed again after.
set -e
${K} apply -f ${manifest}
${K} rollout status deployment/hakube-verify --timeout=180s
${K} get service hakube-verify -o wide
${K} get endpoints hakube-verify
${K} delete -f ${manifest} --ignore-not-found
`;
}

export const healthzServer = (c: Cluster) => `https://${controlPlaneEndpoint(c)}`;
