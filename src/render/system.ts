/**
 * Host preparation (the runbooks' preparation steps and warnings): sysctls, kernel modules for ipvs,
 * containerd with the systemd cgroup driver, packages installed only when missing, the kubelet
 * drop-in kubeadm needs, and small helper scripts that make unit restarts idempotent.
 */
import type { Cluster } from '../spec/types';
import { shellQuote as q } from '../ssh/quote';
import { STATE_DIR } from './paths';

export function renderSysctlConf(c: Cluster): string {
  const lines = Object.entries(c.spec.system.sysctls).map(([k, v]) => `${k} = ${v}`);
  return `# Rendered by hakube: kernel settings Kubernetes networking needs.\n${lines.join('\n')}\n`;
}

export function renderModulesLoad(c: Cluster): string {
  return `# Rendered by hakube: modules for bridged traffic and kube-proxy ipvs, loaded at boot.\n${c.spec.system.kernelModules.join('\n')}\n`;
}

/** What a host needs, by role: binary name -> [apt packages, dnf packages]. */
export interface PackageNeed {
  binary: string;
  apt: string[];
  dnf: string[];
}

export const KUBE_PACKAGES: PackageNeed[] = [
  { binary: 'kubeadm', apt: ['kubeadm'], dnf: ['kubeadm'] },
  { binary: 'kubelet', apt: ['kubelet'], dnf: ['kubelet'] },
  { binary: 'kubectl', apt: ['kubectl'], dnf: ['kubectl'] },
];
export const ETCD_PACKAGES: PackageNeed[] = [
  { binary: 'etcd', apt: ['etcd-server'], dnf: ['etcd'] },
  { binary: 'etcdctl', apt: ['etcd-client'], dnf: ['etcd'] },
];
export const NGINX_PACKAGES: PackageNeed[] = [{ binary: 'nginx', apt: ['nginx', 'libnginx-mod-stream'], dnf: ['nginx', 'nginx-mod-stream'] }];

/**
 * Installs only what is missing, with apt-get or dnf (whichever exists); a host that already
 * has every binary is not touched. Kubernetes packages come from pkgs.k8s.io for the cluster's
 * minor version when no configured repository offers them.
 */
export function renderPackagesScript(c: Cluster, needs: PackageNeed[]): string {
  const minor = c.spec.kubernetesVersion.replace(/^(v\d+\.\d+).*$/, '$1');
  const checks = needs
    .map((n) => `command -v ${n.binary} >/dev/null 2>&1 || { APT="$APT ${n.apt.join(' ')}"; DNF="$DNF ${n.dnf.join(' ')}"; }`)
    .join('\n');
  return `#!/bin/sh
# Rendered by hakube: install missing packages for this host's roles.
set -eu
APT=""
DNF=""
${checks}
[ -z "$APT$DNF" ] && { echo "packages: all present"; exit 0; }
K8S_REPO=${q(`https://pkgs.k8s.io/core:/stable:/${minor}`)}
if command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    case "$APT" in *kube*)
        if ! apt-cache show kubeadm >/dev/null 2>&1; then
            mkdir -p /etc/apt/keyrings
            curl -fsSL "$K8S_REPO/deb/Release.key" | gpg --dearmor --yes -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg
            echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] $K8S_REPO/deb/ /" > /etc/apt/sources.list.d/kubernetes.list
            apt-get update -q
        fi ;;
    esac
    # shellcheck disable=SC2086
    apt-get install -y -q $APT
elif command -v dnf >/dev/null 2>&1; then
    case "$DNF" in *kube*)
        if ! dnf -q list kubeadm >/dev/null 2>&1; then
            printf '[kubernetes]\\nname=Kubernetes\\nbaseurl=%s/rpm/\\nenabled=1\\ngpgcheck=1\\ngpgkey=%s/rpm/repodata/repomd.xml.key\\n' "$K8S_REPO" "$K8S_REPO" > /etc/yum.repos.d/kubernetes.repo
        fi ;;
    esac
    # shellcheck disable=SC2086
    dnf install -y $DNF
else
    echo "missing:$APT and neither apt-get nor dnf is available; install them by hand" >&2
    exit 1
fi
`;
}

/** containerd must exist already; make it use the systemd cgroup driver and run. */
export function renderContainerdScript(c: Cluster): string {
  const systemd = c.spec.kubelet.cgroupDriver === 'systemd';
  return `#!/bin/sh
# Rendered by hakube: containerd with the ${c.spec.kubelet.cgroupDriver} cgroup driver (kubelet and runtime must agree).
set -eu
command -v containerd >/dev/null 2>&1 || { echo "containerd is not installed; install it (e.g. apt-get install containerd) and rerun" >&2; exit 1; }
CFG=/etc/containerd/config.toml
changed=0
if [ ! -s "$CFG" ]; then
    mkdir -p /etc/containerd
    containerd config default > "$CFG"
    changed=1
fi
${
  systemd
    ? `if grep -q 'SystemdCgroup = false' "$CFG"; then
    sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' "$CFG"
    changed=1
fi`
    : `if grep -q 'SystemdCgroup = true' "$CFG"; then
    sed -i 's/SystemdCgroup = true/SystemdCgroup = false/' "$CFG"
    changed=1
fi`
}
systemctl enable --now containerd
if [ "$changed" = 1 ]; then systemctl restart containerd; fi
`;
}

/**
 * Seed 001 warning 2: a kubelet not installed from a package has no kubeadm drop-in, and then
 * never reads kubeadm's flags. Write one only when none exists.
 */
export function renderKubeletScript(): string {
  return `#!/bin/sh
# Rendered by hakube: the kubeadm drop-in for kubelet when the package did not ship one, then enable kubelet.
set -eu
for d in /etc/systemd/system/kubelet.service.d /usr/lib/systemd/system/kubelet.service.d /lib/systemd/system/kubelet.service.d; do
    if ls "$d"/*kubeadm*.conf >/dev/null 2>&1; then found=1; fi
done
if [ -z "\${found:-}" ]; then
    KUBELET=$(command -v kubelet)
    mkdir -p /etc/systemd/system/kubelet.service.d
    cat > /etc/systemd/system/kubelet.service.d/10-kubeadm.conf <<DROPIN
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=$KUBELET \\$KUBELET_KUBECONFIG_ARGS \\$KUBELET_CONFIG_ARGS \\$KUBELET_KUBEADM_ARGS \\$KUBELET_EXTRA_ARGS
DROPIN
    systemctl daemon-reload
fi
systemctl enable --now kubelet
`;
}

/**
 * \`unit-apply.sh [--reload] UNIT FILE... UNITFILE\`: (re)start UNIT and remember the checksums of
 * the files it was started with; \`unit-ok.sh UNIT FILE...\` exits 0 only if UNIT is active with
 * those same files. A unit already running from a distro default (etcd, nginx) is thus
 * restarted once with ours. With --reload, a running unit whose unit file (the last argument)
 * is unchanged is reloaded instead, which keeps established connections (nginx's new backends).
 */
export function renderUnitApplyScript(): string {
  return `#!/bin/sh
# Rendered by hakube: restart (or reload) a unit with its rendered files and record their checksums.
set -eu
reload=no
if [ "$1" = --reload ]; then reload=yes; shift; fi
unit=$1; shift
rec=${STATE_DIR}/units/"$unit".sha256
unitfile=""
for f in "$@"; do unitfile=$f; done
mkdir -p ${STATE_DIR}/units
systemctl daemon-reload
if [ "$reload" = yes ] && systemctl is-active "$unit" >/dev/null 2>&1 && [ -f "$rec" ] && grep " $unitfile\\$" "$rec" | sha256sum -c --status 2>/dev/null; then
    systemctl reload "$unit"
    echo "$unit reloaded"
else
    systemctl enable --now "$unit"
    systemctl restart "$unit"
fi
sha256sum "$@" > "$rec"
`;
}

export function renderUnitOkScript(): string {
  return `#!/bin/sh
# Rendered by hakube: is the unit running with the files it was last (re)started with?
unit=$1
systemctl is-active "$unit" >/dev/null 2>&1 || exit 1
sha256sum -c --status ${STATE_DIR}/units/"$unit".sha256 2>/dev/null
`;
}
