/**
 * The health gate before a leaving control plane's etcd member is removed, run on the master0
 * that stays: its apiserver must answer /readyz (the cluster keeps standing on it), and the
 * members that stay must be healthy enough to hold the smaller cluster's quorum. The spec's
 * arithmetic (plan/diff.ts) was checked before anything ran; this asks the live cluster, which
 * may have lost a member since. The message shows the numbers.
 */
import type { EtcdCerts } from '../drivers/etcd';
import type { Cluster, HostSpec } from '../spec/types';
import { shellQuote as q } from '../ssh/quote';

export function renderRemovalGateScript(c: Cluster, m0: HostSpec, leaving: HostSpec, certs: EtcdCerts): string {
  const readyz = `https://${m0.address}:${c.spec.loadBalancer.apiserverBindPort}/readyz`;
  return `#!/bin/sh
# Rendered by hakube: may ${leaving.name}'s etcd member go? ${m0.name} ready, quorum kept without it.
set -u
export ETCDCTL_API=3
e() { etcdctl --endpoints https://127.0.0.1:2379 --cacert ${q(certs.ca)} --cert ${q(certs.cert)} --key ${q(certs.key)} --command-timeout 10s "$@"; }
if command -v curl >/dev/null 2>&1; then r=$(curl --silent --insecure --max-time 5 ${q(readyz)} 2>&1); else r=$(wget -q --no-check-certificate -T 5 -O - ${q(readyz)} 2>&1); fi
[ "$r" = ok ] || { echo "${m0.name}'s apiserver is not ready (/readyz: \${r:-no answer}): ${leaving.name} may leave only while ${m0.name} is healthy" >&2; exit 1; }
LEAVING=${q(`https://${leaving.address}:2379`)}
members=$(e member list) || { echo "etcd member list failed on ${m0.name}" >&2; exit 1; }
n=$(printf '%s\\n' "$members" | grep -c .)
if ! printf '%s\\n' "$members" | grep -q ", ${leaving.name}, "; then echo "${leaving.name} has no etcd member ($n members): nothing to remove"; exit 0; fi
health=$(e endpoint health --cluster 2>&1)
printf '%s\\n' "$health"
healthy=$(printf '%s\\n' "$health" | grep ' is healthy' | grep -vc "^$LEAVING ")
left=$((n - 1))
need=$((left / 2 + 1))
if [ "$healthy" -lt "$need" ]; then
    echo "removing ${leaving.name}'s member leaves $left members of which $healthy are healthy, fewer than the quorum of $need: bring the unhealthy members back first" >&2
    exit 1
fi
echo "removing ${leaving.name}'s member: $n -> $left members, $healthy healthy, quorum $need holds"
`;
}
