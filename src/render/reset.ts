/** Scripts that undo a failed join (compensation): on the node itself and on master0. */
import type { HostSpec } from '../spec/types';
import { ADMIN_CONF } from './paths';

/**
 * After `kubeadm reset -f`, remove what a join leaves behind so a retry starts clean. Only the
 * control-plane manifests kubeadm writes are removed: haproxy/keepalived belong to the lb phase.
 * The etcd data dir goes only when kubeadm owns it (stacked); an external member keeps its data.
 */
export function renderJoinResetScript(controlPlane: boolean, etcdDataDir: string | undefined): string {
  const etcdData = controlPlane && etcdDataDir ? ` ${etcdDataDir}` : '';
  const manifests = controlPlane
    ? '\nrm -f /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/manifests/kube-controller-manager.yaml /etc/kubernetes/manifests/kube-scheduler.yaml'
    : '';
  return `#!/bin/sh
# Rendered by hakube: clean up after a failed kubeadm join on this host.
set -u
rm -rf /etc/kubernetes/pki /var/lib/kubelet${etcdData}
rm -f /etc/kubernetes/*.conf /root/.kube/config${manifests}
exit 0
`;
}

/**
 * On master0: remove the failed master's etcd member. Looked up by name and by peer URL, since a
 * member added by a join that never started has no name yet.
 */
export function renderEtcdMemberRemoveScript(h: HostSpec): string {
  return `#!/bin/sh
# Rendered by hakube: remove ${h.name}'s stacked etcd member, if there is one.
set -eu
export ETCDCTL_API=3
e() { etcdctl --endpoints https://127.0.0.1:2379 --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/healthcheck-client.crt --key /etc/kubernetes/pki/etcd/healthcheck-client.key --command-timeout 10s "$@"; }
NAME=${h.name}
PEER=https://${h.address}:2380
e member list | while IFS=', ' read -r id status name peers rest; do
    if [ "$name" = "$NAME" ] || [ "$peers" = "$PEER" ]; then
        echo "removing etcd member $id ($name $peers, $status)"
        e member remove "$id"
    fi
done
e member list
`;
}

export const deleteNodeArgv = (h: HostSpec) => ['kubectl', '--kubeconfig', ADMIN_CONF, 'delete', 'node', h.name, '--ignore-not-found'];
