/** Scripts that undo a failed join (compensation): on the node itself and on master0. */
import type { HostSpec } from '../spec/types';
import { shellQuote as q } from '../ssh/quote';
import { ADMIN_CONF } from './paths';

/**
 * After `kubeadm reset -f`, remove what a join leaves behind so a retry starts clean. Only the
 * control-plane manifests kubeadm writes are removed: haproxy/keepalived belong to the lb phase.
 * The etcd data dir goes only when kubeadm owns it (stacked); an external member keeps its data.
 */
export function renderJoinResetScript(controlPlane: boolean, etcdDataDir: string | undefined): string {
  const etcdData = controlPlane && etcdDataDir ? ` ${q(etcdDataDir)}` : '';
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
NAME=${q(h.name)}
PEER=${q(`https://${h.address}:2380`)}
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

/**
 * Takes a host out of Kubernetes whatever state a deploy left it in (never prepared, half
 * joined, or a working node): kubeadm reset when kubeadm is there and has something to undo,
 * then the kubelet stopped and disabled and every file kubeadm and the kubelet keep removed.
 */
export function renderNodeResetScript(resetArgv: string[], etcdDataDir: string | undefined): string {
  return `#!/bin/sh
# Rendered by hakube: reset this host (hakube reset).
set -u
if command -v kubeadm >/dev/null 2>&1 && [ -d /etc/kubernetes ]; then
    ${resetArgv.map(q).join(' ')} || echo "kubeadm reset failed; removing its files by hand" >&2
fi
if command -v systemctl >/dev/null 2>&1; then
    systemctl stop kubelet 2>/dev/null || true
    systemctl disable kubelet 2>/dev/null || true
fi
rm -rf /etc/kubernetes /var/lib/kubelet /root/.kube /etc/cni/net.d${etcdDataDir ? ` ${q(etcdDataDir)}` : ''}
rm -f /etc/hakube/kubeadm.yaml
exit 0
`;
}

/** keepalived and haproxy gone from a control plane, and the VIP off its interface. */
export function renderVipTeardownScript(vip: string, iface: string): string {
  const VIP = q(vip);
  const IFACE = q(iface);
  return `#!/bin/sh
# Rendered by hakube: remove keepalived, haproxy and the VIP from this host.
VIP=${VIP}
IFACE=${IFACE}
set -u
rm -f /etc/kubernetes/manifests/haproxy.yaml /etc/kubernetes/manifests/keepalived.yaml
# The kubelet stops the pods once their manifests are gone; a kubelet already stopped leaves
# them running (containers outlive it), and a keepalived left running puts the VIP back.
me=$(readlink /proc/self/ns/net)
ours() {
    for p in $(pgrep -x "$1" 2>/dev/null); do
        [ "$(readlink /proc/"$p"/ns/net 2>/dev/null)" = "$me" ] && echo "$p"
    done
}
i=0
while [ -n "$(ours keepalived)$(ours haproxy)" ] && [ "$i" -lt 15 ]; do i=$((i + 1)); sleep 1; done
for d in keepalived haproxy; do
    pids=$(ours "$d")
    # shellcheck disable=SC2086
    [ -n "$pids" ] && { echo "stopping $d left running without its pod: $pids"; kill $pids 2>/dev/null; sleep 2; }
done
rm -rf /etc/haproxy/haproxy.cfg /etc/keepalived/keepalived.conf /etc/keepalived/check_apiserver.sh
ip -o -4 addr show dev "$IFACE" | awk '{print $4}' | while read -r a; do
    if [ "\${a%/*}" = "$VIP" ]; then ip addr del "$a" dev "$IFACE" && echo "removed $a from $IFACE"; fi
done
if ip -o -4 addr show dev "$IFACE" | awk -v v="$VIP" '{ split($4, a, "/"); if (a[1] == v) found = 1 } END { exit !found }'; then echo "$VIP is still on $IFACE" >&2; exit 1; fi
exit 0
`;
}

/** A systemd unit stopped, disabled and removed, with the files it used. */
export function renderUnitTeardownScript(unit: string, unitFile: string, paths: string[]): string {
  return `#!/bin/sh
# Rendered by hakube: remove a service from this host.
set -u
if command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now ${q(unit)} 2>/dev/null || systemctl stop ${q(unit)} 2>/dev/null || true
fi
rm -rf ${[unitFile, ...paths].map(q).join(' ')}
if command -v systemctl >/dev/null 2>&1; then systemctl daemon-reload 2>/dev/null || true; fi
exit 0
`;
}
