/**
 * Host-side scripts of certificate checks and renewal. Each is constant text that takes its
 * values as arguments (quoted word by word by the executor), so nothing from a spec is pasted
 * into a shell. kubeadm renews the files; the components load them only when restarted, and a
 * static pod restarts when its manifest leaves /etc/kubernetes/manifests and comes back (the
 * kubelet re-reads that folder every 20 s: kubeadm's manual-renewal advice).
 */
import { ADMIN_CONF, KUBELET_CONF, MANIFESTS_DIR, STATE_DIR } from './paths';

/** Manifests wait here while their pod is down (same filesystem: a rename, never half a file). */
export const PARKED_MANIFESTS = '/etc/kubernetes/hakube-parked';
/** One line per component on the host: `epoch host component down|up|stuck|current` (current: it already ran the renewed files). */
export const RESTART_LOG = `${STATE_DIR}/cert-restarts.log`;

/**
 * Reads certificates with openssl: arguments are `name=path` or `name=kubeconfig:path` (the
 * client certificate a kubeconfig embeds or points to). Prints `cert<TAB>name<TAB>notAfter` or
 * `missing<TAB>name` per argument.
 */
export const CERT_READER = `read_cert() {
    d=$(openssl x509 -noout -enddate 2>/dev/null) || { printf 'missing\\t%s\\n' "$1"; return 0; }
    printf 'cert\\t%s\\t%s\\n' "$1" "\${d#notAfter=}"
}
for a in "$@"; do
    name=\${a%%=*}; src=\${a#*=}
    case "$src" in
    kubeconfig:*)
        f=\${src#kubeconfig:}
        if [ -f "$f" ] && grep -q 'client-certificate-data:' "$f"; then
            sed -n 's/^ *client-certificate-data: *//p' "$f" | head -n 1 | base64 -d 2>/dev/null | read_cert "$name"
        else
            p=$(sed -n 's/^ *client-certificate: *//p' "$f" 2>/dev/null | head -n 1)
            if [ -n "$p" ] && [ -f "$p" ]; then read_cert "$name" < "$p"; else printf 'missing\\t%s\\n' "$name"; fi
        fi ;;
    *)
        if [ -f "$src" ]; then read_cert "$name" < "$src"; else printf 'missing\\t%s\\n' "$name"; fi ;;
    esac
done
`;

/** The kubelet's client certificate (kubelet.conf's, rotated or embedded) and its serving certificate. */
export const KUBELET_CERT_ARGS = [`kubelet-client=kubeconfig:${KUBELET_CONF}`, 'kubelet-serving=/var/lib/kubelet/pki/kubelet.crt'];

/** kubeadm's certificates and kubeconfigs on a control plane, the CAs left out (`certs renew` does not renew them). */
const RENEWABLE = `set -- /etc/kubernetes/pki/*.crt /etc/kubernetes/pki/etcd/*.crt
for f in "$@"; do
    case "$f" in */ca.crt|*/front-proxy-ca.crt) continue ;; esac
    [ -f "$f" ] && echo "$f=$f"
done
for k in admin super-admin controller-manager scheduler; do
    [ -f /etc/kubernetes/$k.conf ] && echo "$k.conf=kubeconfig:/etc/kubernetes/$k.conf"
done`;

/**
 * The renewal step's check: exit 0 (nothing to do, with the reason) when no certificate of this
 * control plane expires within $1 seconds; exit 1 naming those that do.
 */
export function renderRenewDueScript(): string {
  return `#!/bin/sh
# Rendered by hakube: is any kubeadm certificate of this control plane due for renewal?
# $1: the threshold in seconds.
threshold=$1
due=""; earliest=""; earliest_t=""
for a in $(${RENEWABLE.replace(/\n/g, '\n    ')}); do
    name=\${a%%=*}; src=\${a#*=}
    case "$src" in
    kubeconfig:*) pem=$(sed -n 's/^ *client-certificate-data: *//p' "\${src#kubeconfig:}" | head -n 1 | base64 -d 2>/dev/null) ;;
    *) pem=$(cat "$src") ;;
    esac
    end=$(printf '%s\\n' "$pem" | openssl x509 -noout -enddate 2>/dev/null) || continue
    end=\${end#notAfter=}
    t=$(date -d "$end" +%s)
    if [ -z "$earliest_t" ] || [ "$t" -lt "$earliest_t" ]; then earliest_t=$t; earliest="$(basename "$name") ($end)"; fi
    printf '%s\\n' "$pem" | openssl x509 -noout -checkend "$threshold" >/dev/null 2>&1 || due="$due $(basename "$name")"
done
if [ -n "$due" ]; then
    echo "due for renewal (within $threshold s):$due"
    exit 1
fi
echo "skipped: nothing expires within $threshold s; earliest: \${earliest:-none}"
exit 0
`;
}

const KUBECTL = `kubectl --kubeconfig ${ADMIN_CONF} --request-timeout=10s`;

/** Shell helpers the restart and check scripts share. */
const HELPERS = `fp_file() { openssl x509 -noout -fingerprint -sha256 -in "$1" 2>/dev/null; }
fp_served() { echo | timeout 5 openssl s_client -connect "$1" 2>/dev/null | openssl x509 -noout -fingerprint -sha256 2>/dev/null; }
started() { ${KUBECTL} -n kube-system get pod "$1-$node" -o 'jsonpath={.status.containerStatuses[0].state.running.startedAt}' 2>/dev/null; }
ready() { [ "$(${KUBECTL} -n kube-system get pod "$1-$node" -o 'jsonpath={.status.containerStatuses[0].ready}' 2>/dev/null)" = true ]; }
probe() { if command -v curl >/dev/null 2>&1; then curl -sS -k --max-time 5 "$1"; else wget -q --no-check-certificate -T 5 -O - "$1"; fi; }
# Each component's own health port on this host (etcd: kubeadm's plain-HTTP metrics listener).
health_url() {
    case "$1" in
    etcd) echo http://127.0.0.1:2381/health ;;
    kube-apiserver) echo "https://$apiserver/livez" ;;
    kube-controller-manager) echo https://127.0.0.1:10257/healthz ;;
    kube-scheduler) echo https://127.0.0.1:10259/healthz ;;
    esac
}
listening() {
    u=$(health_url "$1")
    if command -v curl >/dev/null 2>&1; then [ "$(curl -sk -o /dev/null --max-time 3 -w '%{http_code}' "$u")" != 000 ]; else wget -q -O /dev/null -T 3 --no-check-certificate "$u"; fi
}
# The certificate a component serves (empty: none of kubeadm's), and the file renewal rewrites for it.
served_at() { case "$1" in kube-apiserver) echo "$apiserver" ;; etcd) echo "$etcd" ;; esac; }
file_of() {
    case "$1" in
    kube-apiserver) echo /etc/kubernetes/pki/apiserver.crt ;;
    etcd) echo /etc/kubernetes/pki/etcd/server.crt ;;
    *) echo "/etc/kubernetes/\${1#kube-}.conf" ;;
    esac
}
# A component runs the renewed files when its pod started after renewal rewrote them (client
# certificates, e.g. the apiserver's to etcd and kubelets, load only at start) and, for one that
# serves, its socket presents the file's certificate (serving certificates may also reload live).
current() {
    c=$1
    [ -f ${PARKED_MANIFESTS}/$c.yaml ] && return 1
    s=$(started "$c"); [ -n "$s" ] || return 1
    [ "$(date -d "$s" +%s)" -gt "$(stat -c %Y "$(file_of "$c")")" ] || return 1
    at=$(served_at "$c")
    [ -z "$at" ] || [ "$(fp_served "$at")" = "$(fp_file "$(file_of "$c")")" ]
}`;

/**
 * The restart step's check: exit 0 when every listed component already runs the renewed
 * certificates (read from its socket, not from the file), so a retry restarts only what is left.
 * Arguments: node name, apiserver host:port, etcd host:port (empty when etcd is not stacked), components.
 */
export function renderServedCurrentScript(): string {
  return `#!/bin/sh
# Rendered by hakube: do this control plane's components serve the renewed certificates?
node=$1; apiserver=$2; etcd=$3; shift 3
${HELPERS}
for c in "$@"; do
    if current "$c"; then echo "$c: runs the renewed certificates"; else echo "$c: restart needed"; exit 1; fi
done
`;
}

/**
 * Restarts each listed static pod in turn (etcd first, then the apiserver, controller-manager and
 * scheduler) and waits, before the next, until its mirror pod runs with a new start time, is
 * Ready and, for the apiserver and etcd, serves the certificate of its renewed file. Manifests a
 * stopped run left parked are put back first. Arguments as for the check script.
 */
export function renderRestartScript(): string {
  return `#!/bin/sh
# Rendered by hakube: restart the control-plane static pods so they load the renewed certificates.
node=$1; apiserver=$2; etcd=$3; shift 3
${HELPERS}
mkdir -p ${PARKED_MANIFESTS} "$(dirname ${RESTART_LOG})"
log() { echo "$(date +%s) $node $1 $2" >> ${RESTART_LOG}; echo "$(date -u +%H:%M:%S) $1: $2"; }
for f in ${PARKED_MANIFESTS}/*.yaml; do
    [ -f "$f" ] || continue
    [ -f ${MANIFESTS_DIR}/$(basename "$f") ] && rm -f "$f" || mv "$f" ${MANIFESTS_DIR}/
done
# stop C: park its manifest, wait until its health port stops answering (the mirror pod cannot
# say so while this host's apiserver is down with it).
stop() {
    log "$1" down
    mv ${MANIFESTS_DIR}/$1.yaml ${PARKED_MANIFESTS}/$1.yaml
    i=0
    while listening "$1" && [ "$i" -lt 60 ]; do sleep 1; i=$((i + 1)); done
}
# up C BEFORE: C runs again with the renewed files. etcd is asked on its own sockets: its mirror
# pod's status reaches the API through this host's kubelet, which may talk to this host's
# apiserver only (kubeadm's local mode), and that one waits for etcd.
up() {
    if [ "$1" = etcd ]; then
        probe http://127.0.0.1:2381/health | grep -q '"health":"true"' && [ "$(fp_served "$etcd")" = "$(fp_file "$(file_of etcd)")" ]
        return
    fi
    s=$(started "$1") && [ -n "$s" ] && [ "$s" != "$2" ] && ready "$1" && current "$1"
}
# start C BEFORE: manifest back; wait until its mirror pod runs with a new start time, is Ready
# and runs the renewed files (the apiserver also /readyz).
start() {
    mv ${PARKED_MANIFESTS}/$1.yaml ${MANIFESTS_DIR}/$1.yaml
    i=0
    until up "$1" "$2"; do
        i=$((i + 1))
        if [ "$i" -ge 60 ]; then log "$1" stuck; echo "$1 on $node did not come back with the renewed certificates within 120 s" >&2; exit 1; fi
        sleep 2
    done
    if [ "$1" = kube-apiserver ]; then
        until [ "$(probe "https://$apiserver/readyz")" = ok ]; do
            i=$((i + 1)); [ "$i" -lt 90 ] || { echo "kube-apiserver on $node serves but is not ready" >&2; exit 1; }; sleep 2
        done
    fi
    log "$1" up
}
# A stacked apiserver reads only its local etcd member: both go down together, the apiserver
# first and up last, so the load balancer meets a refused connection (and tries another
# apiserver), never an apiserver answering errors while its etcd restarts.
if [ "\${1:-}" = etcd ] && [ "\${2:-}" = kube-apiserver ]; then
    if current etcd && current kube-apiserver; then
        log etcd current; log kube-apiserver current; echo "etcd and kube-apiserver already run the renewed certificates"
    else
        be=$(started etcd); ba=$(started kube-apiserver)
        stop kube-apiserver; stop etcd
        start etcd "$be"; start kube-apiserver "$ba"
    fi
    shift 2
fi
for c in "$@"; do
    if current "$c"; then log "$c" current; echo "$c already runs the renewed certificates"; continue; fi
    before=$(started "$c")
    stop "$c"
    start "$c" "$before"
done
`;
}

/**
 * The health gate before the next control plane: this host's /readyz, every etcd endpoint's
 * health with at least a quorum healthy, and the controller-manager and scheduler leases held
 * (renewed within their 15 s lease). Arguments: apiserver host:port, etcd endpoints, CA, cert,
 * key, quorum. Retried for up to two minutes while components settle.
 */
export function renderCertGateScript(): string {
  return `#!/bin/sh
# Rendered by hakube: health gate after a control plane's certificate renewal.
apiserver=$1; endpoints=$2; cacert=$3; cert=$4; key=$5; quorum=$6
probe() { if command -v curl >/dev/null 2>&1; then curl -sS -k --max-time 5 "$1"; else wget -q --no-check-certificate -T 5 -O - "$1"; fi; }
lease_fresh() {
    r=$(${KUBECTL} -n kube-system get lease "$1" -o 'jsonpath={.spec.holderIdentity} {.spec.renewTime}' 2>/dev/null) || return 1
    holder=\${r% *}; t=\${r#* }
    [ -n "$holder" ] && [ -n "$t" ] && [ $(( $(date +%s) - $(date -d "$t" +%s) )) -le 20 ] && echo "$1 held by $holder"
}
i=0
while :; do
    problems=""
    [ "$(probe "https://$apiserver/readyz")" = ok ] || problems="$problems; /readyz on $apiserver is not ok"
    healthy=$(ETCDCTL_API=3 etcdctl --endpoints "$endpoints" --cacert "$cacert" --cert "$cert" --key "$key" --command-timeout 5s endpoint health 2>&1 | grep -c 'is healthy')
    [ "$healthy" -ge "$quorum" ] || problems="$problems; only $healthy etcd endpoints healthy, quorum needs $quorum"
    lease_fresh kube-controller-manager >/dev/null || problems="$problems; no controller-manager holds its lease"
    lease_fresh kube-scheduler >/dev/null || problems="$problems; no scheduler holds its lease"
    if [ -z "$problems" ]; then
        echo "/readyz ok on $apiserver; $healthy etcd endpoints healthy (quorum $quorum)"
        lease_fresh kube-controller-manager; lease_fresh kube-scheduler
        exit 0
    fi
    i=$((i + 1))
    if [ "$i" -ge 40 ]; then echo "health gate failed:\${problems#;}" >&2; exit 1; fi
    sleep 3
done
`;
}
