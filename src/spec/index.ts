/** The cluster spec: schema, parsing/validation and topology helpers. No fs here (see load.ts). */
export { ClusterSchema, API_VERSION, DNS1123_LABEL, ROLES, LB_TYPES, ETCD_TOPOLOGIES, CNI_PLUGINS } from './schema';
export type { ClusterInput } from './schema';
export type { Cluster, ClusterSpec, HostSpec, LoadBalancer, Role } from './types';
export { defaultVirtualRouterId } from './types';
export { parseSpec, SpecError, formatPath } from './parse';
export { checkCluster, specProblems } from './check';
export type { Problem } from './validate';
export * from './topology';
