/**
 * The planner: spec -> phases -> steps, pure. Workflow code imports this module, so nothing
 * reachable from here may import Node built-ins (file loading is src/spec/load.ts).
 */
export { buildPlan } from './build';
export { planJson, planText, maskPlan, shellWords, MASK } from './print';
export * from './types';
export {
  master0,
  controlPlanes,
  workers,
  nodes,
  etcdHosts,
  controlPlaneEndpoint,
  endpointHost,
  hostByName,
  quorum,
} from '../spec/topology';
export { compensationSteps, workerCompensationSteps, cleanupSteps } from '../phases';
