/** Every etcd topology, keyed by `spec.etcd.topology`: the compiler checks the table is complete. */
import type { Cluster } from '../../spec/types';
import { external } from './external';
import { stacked } from './stacked';
import type { EtcdDriver } from './types';

export const ETCD_DRIVERS: Record<Cluster['spec']['etcd']['topology'], EtcdDriver> = {
  stacked,
  external,
};

export const etcdDriver = (c: Cluster): EtcdDriver => ETCD_DRIVERS[c.spec.etcd.topology];

export type { EtcdCerts, EtcdDriver } from './types';
