/**
 * The simulators' host tools on one lab host, as a runbook's prep phase uses them: systemctl on
 * distribution and hand-written units, sysctl that only touches the host's network namespace,
 * swap, modules, containerd, journalctl, hostnamectl, and kubeadm's preflight in kubeadm's own
 * words, with each call in the host's command log.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startLab, TestLab } from '../helpers/lab';
import { commandRuns, fixture, ok, put, sh } from '../fixtures/k8s/handwork';

describe('simulated host tools', () => {
  let lab: TestLab;

  before(async () => {
    lab = await startLab({ prefix: 'k8stools', hosts: ['h1'] });
  });
  after(async () => {
    await lab?.down();
  });

  it('starts a fresh host without the machine\'s daemons and runs units like systemd', async () => {
    // the machine's /etc enables etcd, nginx...; a lab host starts like a fresh VM
    assert.equal((await sh(lab, 'h1', 'systemctl is-enabled etcd')).stdout.trim(), 'disabled');
    assert.equal((await sh(lab, 'h1', 'systemctl is-active nginx')).stdout.trim(), 'inactive');
    // Debian's nginx unit: Type=forking with a PIDFile and an ExecStartPre config test
    await ok(lab, 'h1', 'systemctl enable --now nginx 2>/dev/null');
    assert.equal((await ok(lab, 'h1', 'systemctl is-active nginx')).stdout.trim(), 'active');
    assert.match((await ok(lab, 'h1', 'curl -s -o /dev/null -w "%{http_code}" http://127.0.0.1/')).stdout, /^(200|403|404)$/);
    const status = await ok(lab, 'h1', 'systemctl status nginx');
    assert.match(status.stdout, /Loaded: loaded \(\/lib\/systemd\/system\/nginx\.service; enabled;/);
    assert.match(status.stdout, /Active: active \(running\)/);
    await ok(lab, 'h1', 'systemctl stop nginx');
    const stopped = await sh(lab, 'h1', 'systemctl is-active nginx; curl -s --max-time 2 http://127.0.0.1/');
    assert.match(stopped.stdout, /^inactive\n/);
    assert.notEqual(stopped.code, 0);
    // a hand-written unit with a drop-in and an EnvironmentFile
    await put(lab, 'h1', '/etc/systemd/system/hello.service', '[Unit]\nDescription=hello\n[Service]\nEnvironment="A=1"\nEnvironmentFile=-/etc/default/hello\nExecStart=/bin/sh -c \'echo "A=$A B=$B"; exec sleep 300\'\n[Install]\nWantedBy=multi-user.target\n');
    await put(lab, 'h1', '/etc/systemd/system/hello.service.d/10-b.conf', '[Service]\nEnvironment="B=2"\n');
    await ok(lab, 'h1', 'systemctl daemon-reload && systemctl enable --now hello 2>/dev/null && sleep 0.3');
    assert.match((await ok(lab, 'h1', 'journalctl -u hello --no-pager')).stdout, /A=1 B=2/);
    assert.equal((await sh(lab, 'h1', 'systemctl status does-not-exist')).code, 4);
    // the kubelet unit carries kubeadm's drop-in
    assert.match((await sh(lab, 'h1', 'systemctl status kubelet')).stdout, /Drop-In: \/usr\/lib\/systemd\/system\/kubelet\.service\.d\n\s+└─10-kubeadm\.conf/);
  });

  it('keeps kernel settings to the host: net.* for real in its namespace, the rest recorded', async () => {
    const machineForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
    const machineMaxMap = readFileSync('/proc/sys/vm/max_map_count', 'utf8').trim();
    await put(lab, 'h1', '/etc/sysctl.d/k8s.conf', 'net.ipv4.ip_forward = 1\nvm.max_map_count = 262199\n');
    const r = await ok(lab, 'h1', 'sysctl --system');
    assert.match(r.stdout, /\* Applying \/etc\/sysctl\.d\/k8s\.conf/);
    assert.equal((await ok(lab, 'h1', 'cat /proc/sys/net/ipv4/ip_forward')).stdout.trim(), '1');
    assert.equal((await ok(lab, 'h1', 'sysctl -n vm.max_map_count || sysctl vm.max_map_count')).stdout.trim().split(' ').pop(), '262199');
    assert.equal(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(), machineForward);
    assert.equal(readFileSync('/proc/sys/vm/max_map_count', 'utf8').trim(), machineMaxMap);
    await ok(lab, 'h1', 'modprobe -- ip_vs && modprobe br_netfilter');
    assert.match((await ok(lab, 'h1', 'cat /var/lib/labkube/modules')).stdout, /ip_vs\n.*br_netfilter/);
    assert.match((await ok(lab, 'h1', 'containerd config default')).stdout, /SystemdCgroup = false/);
    await ok(lab, 'h1', 'hostnamectl set-hostname h1-renamed && test "$(hostname)" = h1-renamed && hostnamectl set-hostname h1');
  });

  it('fails kubeadm init preflight in kubeadm\'s own words, and warns about swap', async () => {
    await put(lab, 'h1', '/root/kubeadm.yaml', fixture('kubeadm-stacked.yaml', { ADDRESS: lab.address.h1, NAME: 'h1', VIP: lab.address.h1 }));
    await put(lab, 'h1', '/etc/kubernetes/manifests/etcd.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n');
    await put(lab, 'h1', '/etc/fstab', '/swapfile none swap sw 0 0\n');
    await ok(lab, 'h1', 'swapon -a');
    // something already listens on 6443
    await ok(lab, 'h1', `setsid -f python3 -c 'import socket,time; s=socket.socket(); s.bind(("0.0.0.0", 6443)); s.listen(); time.sleep(600)' >/dev/null 2>&1 </dev/null; sleep 0.5`);
    const r = await sh(lab, 'h1', 'kubeadm init --config /root/kubeadm.yaml');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^\[init\] Using Kubernetes version: v1\.34\.1\n\[preflight\] Running pre-flight checks\n/);
    assert.match(r.stderr, /\t\[WARNING Swap\]: swap is supported for cgroup v2 only/);
    assert.match(r.stderr, /\t\[WARNING Service-Kubelet\]: kubelet service is not enabled, please run 'systemctl enable kubelet\.service'/);
    assert.match(r.stderr, /error execution phase preflight: \[preflight\] Some fatal errors occurred:\n/);
    assert.match(r.stderr, /\t\[ERROR Port-6443\]: Port 6443 is in use\n/);
    assert.match(r.stderr, /\t\[ERROR FileAvailable--etc-kubernetes-manifests-etcd\.yaml\]: \/etc\/kubernetes\/manifests\/etcd\.yaml already exists\n/);
    assert.match(r.stderr, /\t\[ERROR CRI\]: container runtime is not running/);
    assert.match(r.stderr, /you can make a check non-fatal with `--ignore-preflight-errors=\.\.\.`\nTo see the stack trace of this error execute with --v=5 or higher\n$/);
    // ignoring them turns them into warnings, and nothing past preflight was touched yet
    const ignored = await sh(lab, 'h1', 'swapoff -a; kubeadm init --config /root/kubeadm.yaml --ignore-preflight-errors=all --skip-phases=certs,kubeconfig,etcd,control-plane,kubelet-start,wait-control-plane,upload-config,upload-certs,mark-control-plane,bootstrap-token,kubelet-finalize,addon,show-join-command');
    assert.equal(ignored.code, 0, ignored.stderr);
    assert.match(ignored.stderr, /\t\[WARNING Port-6443\]: Port 6443 is in use/);
    assert.doesNotMatch(ignored.stderr, /WARNING Swap/);
    // every call is in the command log, in the lab shim's format
    const runs = await commandRuns(lab, 'h1', 'kubeadm init');
    assert.deepEqual(runs.map((x) => x.action), ['run', 'run']);
  });

  it('runs kubeadm\'s offline subcommands for real: real x509 files in /etc/kubernetes/pki', async () => {
    assert.match((await ok(lab, 'h1', 'kubeadm config print init-defaults')).stdout, /^kind: InitConfiguration$/m);
    await ok(lab, 'h1', 'kubeadm config validate --config /root/kubeadm.yaml');
    assert.match((await ok(lab, 'h1', 'kubeadm token generate')).stdout.trim(), /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    assert.match((await ok(lab, 'h1', 'kubeadm certs certificate-key')).stdout.trim(), /^[0-9a-f]{64}$/);
    assert.equal((await ok(lab, 'h1', 'kubeadm version -o short')).stdout.trim(), 'v1.34.1');
    const certs = await ok(lab, 'h1', 'kubeadm init phase certs all --config /root/kubeadm.yaml');
    assert.match(certs.stdout, /\[certs\] Generating "apiserver" certificate and key/);
    await ok(lab, 'h1', 'kubeadm init phase kubeconfig all --config /root/kubeadm.yaml');
    assert.match((await ok(lab, 'h1', 'openssl x509 -noout -subject -in /etc/kubernetes/pki/apiserver.crt')).stdout, /CN\s*=\s*kube-apiserver/);
    await ok(lab, 'h1', 'test -s /etc/kubernetes/admin.conf && test -s /etc/kubernetes/pki/etcd/ca.key');
    const expiry = await ok(lab, 'h1', 'kubeadm certs check-expiration --config /root/kubeadm.yaml');
    assert.match(expiry.stdout, /^CERTIFICATE\s+EXPIRES\s+RESIDUAL TIME/m);
    assert.match(expiry.stdout, /^apiserver\s+.*\s+364d\s+ca\s+no/m);
    const serial = (await ok(lab, 'h1', 'openssl x509 -noout -serial -in /etc/kubernetes/pki/apiserver.crt')).stdout;
    const renew = await ok(lab, 'h1', 'kubeadm certs renew all --config /root/kubeadm.yaml');
    assert.match(renew.stdout, /Done renewing certificates\. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd/);
    assert.notEqual((await ok(lab, 'h1', 'openssl x509 -noout -serial -in /etc/kubernetes/pki/apiserver.crt')).stdout, serial);
  });
});
