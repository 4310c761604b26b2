/** Scripts for the verify phase: what the seeds check by hand after building a cluster. */
import { controlPlaneEndpoint, nodes } from '../spec/topology';
import type { Cluster } from '../spec/types';
import { shellQuote as q } from '../ssh/quote';
import { ADMIN_CONF, HAKUBE_DIR, KEEPALIVED_MANIFEST, STATE_DIR } from './paths';
import { toYamlDocs } from './yaml';

const K = `kubectl --kubeconfig ${ADMIN_CONF}`;

/** Where verify keeps the list of nodes the cluster must have (a List of Node references). */
export const VERIFY_NODES_FILE = `${HAKUBE_DIR}/verify-nodes.json`;

/**
 * The spec's nodes as a List kubectl reads with -f. A file, not argv: an SSH implementation need
 * only take packets of 35,000 bytes (RFC 4253 section 6.1) and Linux one argument of 128 KiB,
 * and 5,000 node names on one `kubectl wait` command line passed the first.
 */
export function renderVerifyNodes(c: Cluster): string {
  const items = nodes(c).map((h) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: h.name } }));
  return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items })}\n`;
}

/** `kubectl wait` for every node of the spec (VERIFY_NODES_FILE): kubectl's own timeout and output. */
export function nodesReadyArgv(timeoutSeconds = 300): string[] {
  return ['kubectl', '--kubeconfig', ADMIN_CONF, 'wait', '--for=condition=Ready', '-f', VERIFY_NODES_FILE, `--timeout=${timeoutSeconds}s`];
}

/** curl or wget, whichever the host has: both ship on the distributions kubeadm supports. */
const PROBE = `probe() {
    if command -v curl >/dev/null 2>&1; then
        curl --silent --show-error --insecure --max-time 3 "$1"
    else
        wget -q --no-check-certificate -T 3 -O - "$1"
    fi
}`;

/** The apiserver's /healthz through the load balancer (anonymous, as kubeadm allows), retried briefly. */
export function renderHealthzScript(c: Cluster): string {
  return `#!/bin/sh
# Rendered by hakube: apiserver health through ${controlPlaneEndpoint(c)} from this host.
URL=${q(`https://${controlPlaneEndpoint(c)}/healthz`)}
${PROBE}
i=0
until out=$(probe "$URL") && [ "$out" = ok ]; do
    i=$((i + 1))
    if [ "$i" -ge 15 ]; then echo "GET $URL: \${out:-no answer}" >&2; exit 1; fi
    sleep 2
done
echo "GET $URL: $out"
`;
}

/** The drill waits at most 90 s twice; the host-side timer puts keepalived back after this in any case. */
export const DRILL_RESTORE_SECONDS = 200;

/** Seed 001 verification 4: take keepalived away from the VIP holder; the VIP must move and keep serving. */
export function renderVipDrillScript(c: Cluster, restoreSeconds = DRILL_RESTORE_SECONDS): string {
  const lb = c.spec.loadBalancer;
  return `#!/bin/sh
# Rendered by hakube: VIP failover drill for ${c.metadata.name}. keepalived's manifest is moved
# away on this host while it holds ${lb.vip}; the VIP must leave and the apiserver must answer
# through it from another control plane. The manifest is always put back.
VIP=${q(lb.vip ?? '')}
PORT=${q(String(lb.port))}
M=${q(KEEPALIVED_MANIFEST)}
P=${q(`${STATE_DIR}/keepalived.yaml.drill`)}
${PROBE}
holds() { ip -o addr show | grep -qw "$VIP"; }
healthz() { [ "$(probe "https://$VIP:$PORT/healthz" 2>/dev/null)" = ok ]; }
wait_for() { i=0; until "$@"; do i=$((i + 1)); [ "$i" -ge 90 ] && return 1; sleep 1; done; }
not_holds() { ! holds; }

# One drill at a time: a re-run waits for an earlier drill that still runs (it puts keepalived
# back itself); one that died left the lock free and the manifest away, which is put back first,
# so verify never passes while this host runs no keepalived.
mkdir -p ${q(STATE_DIR)}
exec 8>${q(`${STATE_DIR}/vip-drill.lock`)}
flock -w ${restoreSeconds} 8 || { echo "an earlier VIP drill still runs on $(hostname)" >&2; exit 1; }
if [ -e "$P" ] && [ ! -e "$M" ]; then
    echo "putting back keepalived's manifest, left moved away by an interrupted drill"
    mv "$P" "$M"
fi
wait_for healthz || { echo "the apiserver does not answer through $VIP:$PORT" >&2; exit 1; }
if ! holds; then
    echo "$VIP is held by another control plane and answers; drill runs where the VIP is"
    exit 0
fi
# Armed before anything moves, in a session of its own (it outlives this script, its SSH session
# and the worker): puts the manifest back if this script cannot, e.g. killed with SIGKILL.
setsid sh -c 'sleep "$3"; if [ -e "$1" ] && [ ! -e "$2" ]; then mv "$1" "$2"; fi' sh "$P" "$M" ${restoreSeconds} </dev/null >/dev/null 2>&1 8>&- &
timer=$!
trap 'exit 1' HUP INT TERM
trap '[ -e "$P" ] && [ ! -e "$M" ] && mv "$P" "$M"; kill "$timer" 2>/dev/null' EXIT
t0=$(date +%s%N)
mv "$M" "$P"
wait_for not_holds || { echo "$VIP did not leave $(hostname) within 90s of stopping keepalived" >&2; exit 1; }
wait_for healthz || { echo "no apiserver answers through $VIP:$PORT after failover" >&2; exit 1; }
t1=$(date +%s%N)
# From stopping keepalived here to the apiserver answering through the VIP elsewhere.
echo "VIP $VIP moved off $(hostname) in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s; the apiserver answers through it"
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

/**
 * Seed 000's test deployment and service, checked through the API: both created and readable,
 * then removed. Rollout is not awaited: its image may be unreachable from a private network
 * (images pulled from a registry the hosts may not reach), and that is not the cluster's fault.
 */
export function renderTestWorkloadScript(c: Cluster, manifest: string): string {
  return `#!/bin/sh
# Rendered by hakube: the test deployment and service on ${c.metadata.name}; removed again after.
set -e
trap '${K} delete -f ${manifest} --ignore-not-found >/dev/null 2>&1' EXIT
${K} apply -f ${manifest}
${K} get deployment hakube-verify
${K} get service hakube-verify
`;
}

