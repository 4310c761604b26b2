/**
 * Running commands on lab hosts from the machine: over SSH with the lab key (what hakube does),
 * or by entering the host's namespaces (for fault handlers and tests that must not depend on
 * sshd being up).
 */
import { RunOptions, runRaw, RunResult } from './exec';
import { execInHost } from './host';
import { pidInNetns } from './proc';
import { findHost, LabState, readState } from './state';

function loadState(cluster: string): LabState {
  const s = readState(cluster);
  if (!s) throw new Error(`no lab named ${cluster} (run hakube lab up -f CLUSTER.yaml)`);
  return s;
}

/** Runs argv inside the host's network, mount and UTS namespaces as root. */
export async function hostExec(cluster: string, host: string, argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const h = findHost(loadState(cluster), host);
  if (!pidInNetns(h.holderPid, h.netns)) throw new Error(`host ${h.name} of lab ${cluster} is powered off`);
  return execInHost(h.holderPid!, argv, opts);
}

/** ssh(1) options that use the lab key and insist on the hosts' real keys. */
export function sshArgs(state: LabState, host: string, extra: string[] = []): string[] {
  const h = findHost(state, host);
  return [
    '-i', state.privateKeyPath,
    '-o', `UserKnownHostsFile=${state.knownHostsPath}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=5',
    '-o', 'LogLevel=ERROR',
    '-p', String(state.sshPort),
    ...extra,
    `${state.sshUser}@${h.address}`,
  ];
}

/** Runs a shell command line on the host over SSH (the remote login shell parses it). */
export function sshExec(cluster: string, host: string, command: string, opts: RunOptions = {}): Promise<RunResult> {
  const state = loadState(cluster);
  return runRaw('ssh', [...sshArgs(state, host), command], opts);
}

export { loadState };
