/** Every workflow the hakube worker registers (workflowsPath points here). */
export { deployCluster } from './deploy';
export { joinMaster, joinWorker } from './join';
export { resetCluster } from './reset';
export { joinCommand } from './join-command';
export { applyCluster } from './apply';
export { clusterLock } from './lock';
export { readCluster } from './read-cluster';
