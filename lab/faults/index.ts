/** Loads every fault kind (the lab's own, then the simulators') and runs one. */
import { execInHost } from '../host';
import { pidInNetns } from '../proc';
import { findHost, LabState } from '../state';
import { faultHandler, faultUsages } from './registry';
import './builtin';
import './command';
// The simulators' kinds (lab/sim/faults.ts calls registerFault).
import '../sim/faults';

export { faultHandler, registerFault } from './registry';
export type { FaultContext, FaultHandler } from './registry';

export function faultKinds(): string[] {
  return faultUsages();
}

export async function runFault(state: LabState, hostName: string, kind: string, args: string[]): Promise<string> {
  const handler = faultHandler(kind);
  if (!handler) throw new Error(`unknown fault kind ${kind}; kinds:\n  ${faultUsages().join('\n  ')}`);
  const host = findHost(state, hostName);
  const out = await handler.run({
    state,
    host,
    args,
    exec: (argv, opts) => {
      if (!pidInNetns(host.holderPid, host.netns)) throw new Error(`host ${host.name} is powered off`);
      return execInHost(host.holderPid!, argv, opts);
    },
  });
  return out ?? '';
}
