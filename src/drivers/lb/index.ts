/** Every load-balancer kind, keyed by `spec.loadBalancer.type`: the compiler checks the table is complete. */
import type { Cluster } from '../../spec/types';
import { external } from './external';
import { localProxy } from './local-proxy';
import type { LbDriver } from './types';
import { vip } from './vip';

export const LB_DRIVERS: Record<Cluster['spec']['loadBalancer']['type'], LbDriver> = {
  'local-proxy': localProxy,
  vip,
  external,
};

export const lbDriver = (c: Cluster): LbDriver => LB_DRIVERS[c.spec.loadBalancer.type];

export type { LbDriver, PreflightKind } from './types';
