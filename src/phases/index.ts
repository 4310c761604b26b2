/** The eight runbook phases in order, and the step builders workflows use outside the plan. */
import type { DeployPhaseName } from '../plan/types';
import { cleanup } from './cleanup';
import { etcd } from './etcd';
import { init } from './init';
import { joinMasters, joinWorkers } from './join';
import { lb } from './lb';
import { prep } from './prep';
import type { PhaseModule } from './types';
import { verify } from './verify';

export const PHASE_MODULES: Record<DeployPhaseName, PhaseModule> = {
  prep,
  etcd,
  lb,
  init,
  'join-masters': joinMasters,
  'join-workers': joinWorkers,
  verify,
  cleanup,
};

export type { PhaseModule } from './types';
export { compensationSteps, workerCompensationSteps } from './compensation';
export { cleanupSteps } from './cleanup';
export { masterJoinArgv, workerJoinArgv, masterPosition, workerConcurrency } from './join';
export { prepSteps } from './prep';
