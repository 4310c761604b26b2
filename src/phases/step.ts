/** Small builders that keep phase modules readable: steps, script files, commands. */
import { DEFAULT_STEP_TIMEOUT_SECONDS, type PhaseName, type PlannedCommand, type PlannedFile, type PlannedStep } from '../plan/types';
import { SCRIPTS_DIR } from '../render/paths';

export interface StepBody {
  files?: PlannedFile[];
  check?: PlannedCommand;
  commands?: PlannedCommand[];
  /** Default: DEFAULT_STEP_TIMEOUT_SECONDS. */
  timeoutSeconds?: number;
}

export function step(phase: PhaseName, host: string, slug: string, title: string, body: StepBody): PlannedStep {
  return {
    id: `${phase}/${host}/${slug}`,
    phase,
    host,
    title,
    files: body.files ?? [],
    ...(body.check ? { check: body.check } : {}),
    commands: body.commands ?? [],
    timeoutSeconds: body.timeoutSeconds ?? DEFAULT_STEP_TIMEOUT_SECONDS,
  };
}

export const cmd = (...argv: string[]): PlannedCommand => ({ argv });
export const longCmd = (...argv: string[]): PlannedCommand => ({ argv, long: true });
export const tolerant = (codes: number[], ...argv: string[]): PlannedCommand => ({ argv, okExitCodes: codes });

export function file(path: string, content: string, mode = '0644', extra: Partial<PlannedFile> = {}): PlannedFile {
  return { path, mode, content, ...extra };
}

/** A copy of a file another host made (see PlannedFile.from). */
export function copied(path: string, fromHost: string, fromPath: string, mode: string, secret = false): PlannedFile {
  return { path, mode, content: '', from: { host: fromHost, path: fromPath }, ...(secret ? { secret: true } : {}) };
}

export const scriptPath = (name: string) => `${SCRIPTS_DIR}/${name}.sh`;

/** A script file for multi-command logic, run by path with sh (no shell pasting of argv). */
export function script(name: string, content: string): PlannedFile {
  return file(scriptPath(name), content, '0755');
}

export const runScript = (name: string, ...args: string[]): PlannedCommand => cmd('sh', scriptPath(name), ...args);

export const KUBECTL = ['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf'];
export const kubectl = (...args: string[]): PlannedCommand => cmd(...KUBECTL, ...args);
