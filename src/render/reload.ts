/**
 * Reloading the VIP's static pods (haproxy, keepalived) in place when their config changes,
 * instead of letting the kubelet restart them for a new manifest: a restart drops every
 * connection the proxy holds (kubectl exec/logs -f, watches, the apiserver's own clients).
 * haproxy in master-worker mode (-W) re-reads its config on SIGUSR2 and lets the old worker
 * finish its established connections; keepalived re-reads its config on SIGHUP and keeps its
 * VRRP state, so the VIP stays where it is.
 *
 * The pods run with hostNetwork, so their main process is the one of that name in this host's
 * network namespace whose parent is not of the same name (haproxy's workers and keepalived's
 * VRRP child are its children). The namespace test also keeps several hosts sharing one PID
 * namespace (containers, test hosts) apart. The config's sha256 is recorded once it is
 * loaded; the check passes when nothing runs yet (the pod starts with the file as written) or
 * the running process loaded this very file.
 */
import { STATE_DIR } from './paths';

export const RELOAD_DIR = `${STATE_DIR}/reload`;

/** `sh reload.sh check|reload NAME SIGNAL CONFIG [NAME SIGNAL CONFIG ...]` */
export function renderReloadScript(): string {
  return `#!/bin/sh
# Rendered by hakube: reload a hostNetwork daemon in place when its config changed (no restart).
set -u
mode=$1; shift
me=$(readlink /proc/self/ns/net)
# The daemon's main process in this network namespace (not one of its own children).
main_pid() {
    for p in $(pgrep -x "$1" 2>/dev/null); do
        [ "$(readlink /proc/"$p"/ns/net 2>/dev/null)" = "$me" ] || continue
        pp=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/"$p"/status 2>/dev/null)
        [ "$(cat /proc/"$pp"/comm 2>/dev/null)" = "$1" ] && continue
        echo "$p"
        return 0
    done
    return 1
}
# Refuse a config the daemon would reject, where its binary is on the host (a container's may not be).
valid() {
    command -v "$1" >/dev/null 2>&1 || return 0
    case "$1" in
        haproxy) haproxy -c -q -f "$2" ;;
        keepalived) keepalived --config-test -f "$2" ;;
        *) return 0 ;;
    esac
}
mkdir -p ${RELOAD_DIR}
status=0
while [ $# -ge 3 ]; do
    name=$1 sig=$2 cfg=$3; shift 3
    rec=${RELOAD_DIR}/$name.sha256
    pid=$(main_pid "$name") || pid=""
    if [ -z "$pid" ]; then
        # Not running: it starts with the file as it is now.
        [ "$mode" = reload ] && { sha256sum "$cfg" > "$rec"; echo "$name not running: it starts with $cfg"; }
        continue
    fi
    if sha256sum -c --status "$rec" 2>/dev/null; then
        [ "$mode" = reload ] && echo "$name (pid $pid) already runs $cfg"
        continue
    fi
    if [ "$mode" = check ]; then status=1; continue; fi
    if ! valid "$name" "$cfg"; then echo "$cfg is not a valid $name config: $name keeps its old one" >&2; exit 1; fi
    kill -s "$sig" "$pid" || { echo "cannot signal $name (pid $pid)" >&2; exit 1; }
    sleep 1
    kill -0 "$pid" 2>/dev/null || { echo "$name (pid $pid) exited after SIG$sig; the kubelet restarts it" >&2; exit 1; }
    sha256sum "$cfg" > "$rec"
    echo "$name (pid $pid) reloaded $cfg with SIG$sig: established connections are kept"
done
exit $status
`;
}
