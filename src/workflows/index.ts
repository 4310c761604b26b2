/** Every workflow the hakube worker registers (workflowsPath points here). */
export { deployCluster } from './deploy';
export { joinMaster, joinWorker } from './join';
