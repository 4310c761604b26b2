/** external: the operator's own load balancer in front of the apiservers; hakube runs nothing for it. */
import { controlPlaneEndpoint } from '../../spec/topology';
import type { LbDriver } from './types';

export const external: LbDriver = {
  proxy: 'the external load balancer',
  skipReason: (c) =>
    `the load balancer is external: ${controlPlaneEndpoint(c)} is yours, and must forward to every control plane on :${c.spec.loadBalancer.apiserverBindPort}`,
  holders: () => [],
  setupStep: () => {
    throw new Error('an external load balancer has no hakube step');
  },
  backendsStep: () => {
    throw new Error('an external load balancer keeps its own backends');
  },
  packages: () => [],
  preflightIgnores: () => [],
  verifySteps: () => [],
  operatorServer: () => undefined,
  teardownStep: () => {
    throw new Error('an external load balancer is not hakube\'s to remove');
  },
};
