/**
 * "Done" asked of the cluster, not of a file: kubeadm writes admin.conf before the control plane
 * is up and before upload-config, the bootstrap token and the addons, and kubelet.conf at TLS
 * bootstrap, before mark-control-plane and before a stacked member is promoted from learner.
 * These scripts are the checks (exit 0 = done) and the guarded commands of init and joins.
 */
import type { Cluster, HostSpec } from '../spec/types';
import { ADMIN_CONF, KUBEADM_CONFIG, KUBELET_CONF, MANIFESTS_DIR } from './paths';

const PROBE = `probe() {
    if command -v curl >/dev/null 2>&1; then
        curl --silent --show-error --insecure --max-time 5 "$1"
    else
        wget -q --no-check-certificate -T 5 -O - "$1"
    fi
}`;

const sh = (w: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);
const line = (argv: string[]) => argv.map(sh).join(' ');

/** master0's apiserver, asked directly (not through the LB, which may not route yet). */
const readyzUrl = (c: Cluster, m0: HostSpec) => `https://${m0.address}:${c.spec.loadBalancer.apiserverBindPort}/readyz`;

/** init is done when master0's apiserver is ready and kubeadm's upload-config and bootstrap-token phases left their ConfigMaps. */
export function renderInitDoneScript(c: Cluster, m0: HostSpec): string {
  return `#!/bin/sh
# Rendered by hakube: exit 0 only when kubeadm init on ${m0.name} is complete, as the cluster sees it.
${PROBE}
K="kubectl --kubeconfig ${ADMIN_CONF}"
[ -f ${ADMIN_CONF} ] || { echo "not initialised: no ${ADMIN_CONF}"; exit 1; }
out=$(probe ${readyzUrl(c, m0)} 2>&1)
[ "$out" = ok ] || { echo "apiserver /readyz on ${m0.name}: \${out:-no answer}"; exit 1; }
$K -n kube-system get configmap kubeadm-config -o name || { echo "no kubeadm-config ConfigMap: upload-config did not run"; exit 1; }
$K -n kube-public get configmap cluster-info -o name || { echo "no cluster-info ConfigMap: bootstrap-token did not run"; exit 1; }
`;
}

/**
 * kubeadm init exactly once. A host that kubeadm init already touched (admin.conf or a control
 * plane manifest is there) is finished with the remaining \`kubeadm init phase\` steps instead,
 * each of which keeps what is already in place; \`extraPhases\` are the topology's own
 * (e.g. stacked etcd's \`etcd local\`).
 */
export function renderInitScript(c: Cluster, m0: HostSpec, initArgv: string[], extraPhases: string[][]): string {
  const cfg = ['--config', KUBEADM_CONFIG];
  const before = [['kubeconfig', 'all'], ...extraPhases, ['control-plane', 'all'], ['kubelet-start']];
  const after = [['upload-config', 'all'], ['upload-certs', '--upload-certs'], ['mark-control-plane'], ['bootstrap-token'], ['kubelet-finalize', 'all'], ['addon', 'all']];
  const phase = (p: string[]) => line(['kubeadm', 'init', 'phase', ...p, ...cfg]);
  return `#!/bin/sh
# Rendered by hakube: kubeadm init on ${m0.name}, never twice.
set -eu
${PROBE}
# A kubeadm init cut off with its SSH session may still be exiting.
i=0
while command -v pgrep >/dev/null 2>&1 && pgrep -f '^kubeadm init' >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -ge 30 ]; then echo "another kubeadm init is still running on this host" >&2; exit 1; fi
    sleep 2
done
if [ ! -e ${ADMIN_CONF} ] && [ ! -e ${MANIFESTS_DIR}/kube-apiserver.yaml ] && [ ! -e ${MANIFESTS_DIR}/etcd.yaml ]; then
    exec ${line(initArgv)}
fi
echo "kubeadm init ran on this host before and did not finish: running its remaining phases instead of kubeadm init"
${before.map(phase).join('\n')}
i=0
until out=$(probe ${readyzUrl(c, m0)} 2>/dev/null) && [ "$out" = ok ]; do
    i=$((i + 1))
    if [ "$i" -ge 150 ]; then echo "the control plane on ${m0.name} did not become ready (/readyz: \${out:-no answer}); see journalctl -u kubelet" >&2; exit 1; fi
    sleep 2
done
${after.map(phase).join('\n')}
`;
}

export interface JoinDoneOptions {
  controlPlane: boolean;
  /** Static pod manifests a joined control plane has (etcd's too when stacked). */
  manifests: string[];
  /** etcdctl endpoint and certs for the stacked member check; undefined when the node runs no member. */
  etcd?: { ca: string; cert: string; key: string };
}

/**
 * A join is done when its Node is registered (with the control-plane label, its static pods'
 * manifests and, stacked, its etcd member started and no longer a learner, for a master).
 * Right after kubeadm join the kubelet may still be registering: a present kubelet.conf gets a
 * minute to become a registered node.
 */
export function renderJoinDoneScript(h: HostSpec, o: JoinDoneOptions): string {
  const kubeconfig = o.controlPlane ? ADMIN_CONF : KUBELET_CONF;
  const checks = [
    `labels=$(kubectl --kubeconfig ${kubeconfig} get node ${h.name} -o jsonpath='{.metadata.labels}' 2>/dev/null) || return 1`,
  ];
  if (o.controlPlane) {
    checks.push(`case "$labels" in *node-role.kubernetes.io/control-plane*) ;; *) return 1 ;; esac`);
    for (const m of o.manifests) checks.push(`[ -f ${MANIFESTS_DIR}/${m}.yaml ] || return 1`);
  }
  if (o.etcd) {
    checks.push(
      `etcdctl --endpoints https://127.0.0.1:2379 --cacert ${o.etcd.ca} --cert ${o.etcd.cert} --key ${o.etcd.key} --command-timeout 5s member list 2>/dev/null | grep -q '^[0-9a-f]*, started, ${h.name}, .*, false$' || return 1`,
    );
  }
  return `#!/bin/sh
# Rendered by hakube: exit 0 only when ${h.name} is joined as the cluster sees it.
[ -f ${KUBELET_CONF} ] || exit 1
joined() {
    ${checks.join('\n    ')}
}
i=0
until joined; do
    i=$((i + 1))
    if [ "$i" -ge 10 ]; then echo "${h.name}: kubelet.conf is there but the node is not joined"; exit 1; fi
    sleep 2
done
`;
}

/** Before kubeadm join: a host a previous join left half-done must be reset first, not joined again. */
export function renderJoinGuardScript(h: HostSpec): string {
  const owned = [KUBELET_CONF, '/etc/kubernetes/bootstrap-kubelet.conf', `${MANIFESTS_DIR}/kube-apiserver.yaml`, '/etc/kubernetes/pki/ca.crt'];
  return `#!/bin/sh
# Rendered by hakube: refuse to run kubeadm join over what an unfinished join left on ${h.name}.
for f in ${owned.join(' ')}; do
    if [ -e "$f" ]; then
        echo "kubeadm join ran on ${h.name} before and did not finish ($f is there, but the cluster does not have the node joined): the host must be reset (kubeadm reset -f) before it joins again; hakube's compensation does that, then retry" >&2
        exit 1
    fi
done
`;
}
