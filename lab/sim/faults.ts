/**
 * The simulators' fault kinds for `hakube lab fault HOST KIND`: each runs `labkube-fault` inside
 * the host, which acts on that host only (its kube-apiserver, its etcd) or, for the token
 * kinds, on the cluster through the host's /etc/kubernetes/admin.conf.
 */
import { registerFault, type FaultContext } from '../faults/registry';

function simFault(kind: string, usage: string): void {
  registerFault({
    kind,
    usage,
    async run(ctx: FaultContext) {
      const r = await ctx.exec(['/usr/local/bin/labkube-fault', kind], { timeoutMs: 20_000 });
      if (r.code !== 0) throw new Error(`${kind} on ${ctx.host.name} failed: ${(r.stderr || r.stdout).trim()}`);
      return r.stdout.trim();
    },
  });
}

simFault('expire-tokens', 'expire-tokens: every bootstrap token of the cluster expires now (run on a control-plane host)');
simFault('expire-certs', 'expire-certs: the uploaded kubeadm-certs secret expires now (run on a control-plane host)');
simFault('kill-apiserver', 'kill-apiserver: SIGKILL the host\'s kube-apiserver (its kubelet restarts it after a back-off)');
simFault('kill-etcd', 'kill-etcd: SIGKILL the host\'s etcd member (its kubelet restarts it after a back-off)');
