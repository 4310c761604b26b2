/** etcd: the topology's own members, before kubeadm runs (its driver says what and where). */
import { etcdDriver } from '../drivers/etcd';
import type { PhaseModule } from './types';

export const etcd: PhaseModule = {
  name: 'etcd',
  title: 'external etcd cluster: PKI, members one by one, health',
  skipReason: (c) => etcdDriver(c).skipReason(c),
  hosts: (c) => etcdDriver(c).phaseHosts(c),
  run: { kind: 'host', secrets: [] },
  concurrency: () => 1,
  steps: (c) => etcdDriver(c).phaseSteps(c),
};
