/**
 * lb: how clients reach the apiservers, in place before kubeadm runs. What runs where is the
 * load-balancer kind's driver (src/drivers/lb).
 */
import { lbDriver } from '../drivers/lb';
import type { PhaseModule } from './types';

export const lb: PhaseModule = {
  name: 'lb',
  title: 'apiserver load balancing',
  skipReason: (c) => lbDriver(c).skipReason(c),
  hosts: (c) => lbDriver(c).holders(c).map((h) => h.name),
  run: { kind: 'host', secrets: [] },
  concurrency: (c) => Math.max(1, Math.min(c.spec.workers.concurrency, lb.hosts(c).length)),
  steps: (c) => {
    const d = lbDriver(c);
    return d.holders(c).map((h) => d.setupStep(c, h));
  },
};
