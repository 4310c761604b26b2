/**
 * Where hakube puts things on a host. One place, so renderers, phases, cleanup and
 * compensation agree.
 */
export const HAKUBE_DIR = '/etc/hakube';
export const SCRIPTS_DIR = `${HAKUBE_DIR}/bin`;
export const STATE_DIR = '/var/lib/hakube';
export const KUBEADM_CONFIG = `${HAKUBE_DIR}/kubeadm.yaml`;
/** Holds the join secrets only while `kubeadm join` runs. */
export const KUBEADM_JOIN_CONFIG = `${HAKUBE_DIR}/kubeadm-join.yaml`;
export const FLANNEL_MANIFEST = `${HAKUBE_DIR}/kube-flannel.yaml`;
export const AUDIT_POLICY = '/etc/kubernetes/audit-policy.yaml';
export const ADMIN_CONF = '/etc/kubernetes/admin.conf';
export const KUBELET_CONF = '/etc/kubernetes/kubelet.conf';
export const MANIFESTS_DIR = '/etc/kubernetes/manifests';

export const SYSCTL_FILE = '/etc/sysctl.d/99-kubernetes.conf';
export const MODULES_FILE = '/etc/modules-load.d/kubernetes.conf';

/** External etcd PKI: the CA and every member's certificates are made on the first member. */
export const ETCD_PKI = '/etc/etcd/pki';
export const ETCD_CONFIG = '/etc/etcd/etcd.conf.yml';
export const ETCD_UNIT = '/etc/systemd/system/etcd.service';
export const ETCD_CLIENT_CERT = `${ETCD_PKI}/apiserver-etcd-client.crt`;
export const ETCD_CLIENT_KEY = `${ETCD_PKI}/apiserver-etcd-client.key`;
export const ETCD_CA = `${ETCD_PKI}/ca.crt`;

/** Stacked etcd: kubeadm's own PKI. */
export const KUBEADM_ETCD_CA = '/etc/kubernetes/pki/etcd/ca.crt';
export const KUBEADM_ETCD_CLIENT_CERT = '/etc/kubernetes/pki/apiserver-etcd-client.crt';
export const KUBEADM_ETCD_CLIENT_KEY = '/etc/kubernetes/pki/apiserver-etcd-client.key';

export const NGINX_PROXY_DIR = '/etc/kubernetes/apiserver-proxy';
export const NGINX_PROXY_CONF = `${NGINX_PROXY_DIR}/nginx.conf`;
export const NGINX_PROXY_UNIT = '/etc/systemd/system/kube-apiserver-proxy.service';

export const HAPROXY_DIR = '/etc/haproxy';
export const HAPROXY_CFG = `${HAPROXY_DIR}/haproxy.cfg`;
export const KEEPALIVED_DIR = '/etc/keepalived';
export const KEEPALIVED_CONF = `${KEEPALIVED_DIR}/keepalived.conf`;
export const KEEPALIVED_CHECK = `${KEEPALIVED_DIR}/check_apiserver.sh`;
export const HAPROXY_MANIFEST = `${MANIFESTS_DIR}/haproxy.yaml`;
export const KEEPALIVED_MANIFEST = `${MANIFESTS_DIR}/keepalived.yaml`;
