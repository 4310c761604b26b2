/**
 * `hakube etcd restore --plan`: the restore runbook for the cluster's etcd topology, every
 * command written out for the operator to run (hakube never restores on its own: a restore
 * rewinds the whole cluster). Pure. A restore makes a new cluster from the snapshot: every
 * member restores the same file under its own name and peer URL, with the apiservers stopped
 * first so nothing writes to a half-restored etcd.
 */
import { shellQuote } from '../ssh/quote';
import { controlPlanes, etcdHosts } from '../spec/topology';
import type { Cluster } from '../spec/types';
import { etcdDriver } from '../drivers/etcd';

export interface RestoreStep {
  title: string;
  /** Where the commands run: a host name, or "each: h1, h2" for the same on every host listed. */
  on: string;
  commands: string[];
}

const q = (s: string) => shellQuote(s);
const baseOf = (p: string) => p.split('/').pop() as string;
const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) || '/' : '.');

export function restorePlan(c: Cluster, snapshot: string): RestoreStep[] {
  const members = etcdHosts(c);
  const cps = controlPlanes(c);
  const stacked = etcdDriver(c).stacked;
  const dataDir = c.spec.etcd.dataDir;
  const restoreDir = `${dataDir}.restored`;
  const initial = members.map((m) => `${m.name}=https://${m.address}:2380`).join(',');
  const token = `${c.metadata.name}-restored`;
  const remote = `/var/lib/hakube/restore/${baseOf(snapshot)}`;
  const certs = etcdDriver(c).clientCerts;
  const each = (hosts: { name: string }[]) => `each: ${hosts.map((h) => h.name).join(', ')}`;
  const steps: RestoreStep[] = [
    {
      title: 'check the snapshot before touching anything (its hash as stored, and etcd can read it)',
      on: 'the operator\'s machine',
      commands: [`(cd ${q(dirOf(snapshot))} && sha256sum -c ${q(`${baseOf(snapshot)}.sha256`)})`, `ETCDCTL_API=3 etcdctl snapshot status ${q(snapshot)} -w table`],
    },
    {
      title: 'copy it to every etcd member',
      on: 'the operator\'s machine',
      commands: members.map((m) => `ssh ${q(`${c.spec.ssh.user}@${m.address}`)} mkdir -p /var/lib/hakube/restore && scp ${q(snapshot)} ${q(`${c.spec.ssh.user}@${m.address}:${remote}`)}`),
    },
    {
      title: 'stop every apiserver (its static pod), so nothing writes while etcd is rewound',
      on: each(cps),
      commands: ['mkdir -p /etc/kubernetes/hakube-parked', 'mv /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/hakube-parked/'],
    },
    {
      title: stacked ? 'stop every etcd member (kubeadm\'s static pod)' : 'stop every etcd member (systemd unit)',
      on: each(members),
      commands: stacked ? ['mv /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/hakube-parked/'] : ['systemctl stop etcd'],
    },
  ];
  for (const m of members) {
    steps.push({
      title: `restore ${m.name}'s data dir from the snapshot as a member of a new cluster (old data kept aside)`,
      on: m.name,
      commands: [
        `ETCDCTL_API=3 etcdctl snapshot restore ${q(remote)} --name ${q(m.name)} --initial-cluster ${q(initial)} --initial-cluster-token ${q(token)} --initial-advertise-peer-urls ${q(`https://${m.address}:2380`)} --data-dir ${q(restoreDir)}`,
        `mv ${q(dataDir)} ${q(`${dataDir}.before-restore`)}`,
        `mv ${q(restoreDir)} ${q(dataDir)}`,
      ],
    });
  }
  steps.push(
    {
      title: 'start every etcd member again, all of them before waiting: one alone has no quorum',
      on: each(members),
      commands: stacked ? ['mv /etc/kubernetes/hakube-parked/etcd.yaml /etc/kubernetes/manifests/'] : ['systemctl start etcd'],
    },
    {
      title: 'wait until every member is healthy and the member list is the restored one',
      on: stacked ? cps[0].name : members[0].name,
      commands: [
        `ETCDCTL_API=3 etcdctl --endpoints ${q(members.map((m) => `https://${m.address}:2379`).join(','))} --cacert ${q(certs.ca)} --cert ${q(certs.cert)} --key ${q(certs.key)} endpoint health`,
        `ETCDCTL_API=3 etcdctl --endpoints ${q(`https://${members[0].address}:2379`)} --cacert ${q(certs.ca)} --cert ${q(certs.cert)} --key ${q(certs.key)} member list -w table`,
      ],
    },
    {
      title: 'start the apiservers again; restart controller-manager and scheduler so they drop caches of the newer state',
      on: each(cps),
      commands: [
        'mv /etc/kubernetes/hakube-parked/kube-apiserver.yaml /etc/kubernetes/manifests/',
        'for c in kube-controller-manager kube-scheduler; do mv /etc/kubernetes/manifests/$c.yaml /etc/kubernetes/hakube-parked/ && sleep 20 && mv /etc/kubernetes/hakube-parked/$c.yaml /etc/kubernetes/manifests/; done',
      ],
    },
    {
      title: 'verify: nodes and pods as of the snapshot, then the whole cluster',
      on: cps[0].name,
      commands: ['kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes', `hakube status ${c.metadata.name}  # and, from the operator's machine: hakube certs check ${c.metadata.name}`],
    },
  );
  return steps;
}

export function renderRestorePlan(c: Cluster, snapshot: string): string {
  const head = `# Restore of cluster ${c.metadata.name} (etcd ${c.spec.etcd.topology}, ${etcdHosts(c).length} members) from ${snapshot}\n# Run each block on the host(s) named, in order. hakube does not run this for you.`;
  const body = restorePlan(c, snapshot).map((s, i) => `\n## ${i + 1}. ${s.title}\n# on ${s.on}\n${s.commands.join('\n')}`);
  return [head, ...body].join('\n') + '\n';
}
