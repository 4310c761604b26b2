/** Draining a node before it leaves: evictions go through PodDisruptionBudgets; the wait is bounded. */
import { ADMIN_CONF } from './paths';

export function renderDrainScript(node: string, timeoutSeconds: number): string {
  return `#!/bin/sh
# Rendered by hakube: drain ${node} before it leaves the cluster.
set -u
K="kubectl --kubeconfig ${ADMIN_CONF}"
if ! $K get node ${node} -o name >/dev/null 2>&1; then echo "${node} is not registered: nothing to drain"; exit 0; fi
if ! $K drain ${node} --ignore-daemonsets --delete-emptydir-data --timeout=${timeoutSeconds}s; then
    echo "draining ${node} did not finish within ${timeoutSeconds} s: a PodDisruptionBudget (kubectl get pdb -A) or a pod that cannot be evicted holds it; free it, then retry (or abort)" >&2
    exit 1
fi
`;
}
