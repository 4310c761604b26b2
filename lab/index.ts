/** The lab's programmatic API, for tests, benchmarks and the simulators' tooling. */
export { labUp, labDown, labDownAll, restartHost, bootHost } from './lifecycle';
export { hostExec, sshExec, sshArgs } from './access';
export { labStatus } from './status';
export { readState, listLabs, findHost } from './state';
export type { LabState, LabHostState } from './state';
export { readLabSpec, labSpecFromCluster } from './spec';
export type { LabSpec, LabHostSpec } from './spec';
export { registerFault, runFault } from './faults';
export type { FaultContext, FaultHandler } from './faults';
export { labRoot, labBinDir, clusterDir, hostDir } from './paths';
export { addLabUser } from './users';
