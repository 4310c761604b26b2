/** Every workflow the hakube worker registers (workflowsPath points here). */
export { deployCluster } from './deploy';
export { joinMaster, joinWorker } from './join';
export { resetCluster } from './reset';
export { joinCommand } from './join-command';
export { applyCluster } from './apply';
export { hostGroup } from './group';
export { certsCheck, etcdSnapshot, renewCerts } from './certs';
export { renewMaster } from './renew-master';
export { clusterLock } from './lock';
export { readCluster } from './read-cluster';
