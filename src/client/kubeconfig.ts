/**
 * The operator's copy of admin.conf: `<HAKUBE_HOME>/<cluster>/admin.conf` (0600) on the machine
 * that runs the CLI, written from the secret the run carries (the `kubeconfig` query while a
 * worker answers, else the run's result).
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { hakubeHome } from '../temporal/paths';
import { isSecret, reveal } from '../temporal/secret';
import { kubeconfigQuery, type Kubeconfig, type Progress } from '../workflows/defs';

export function kubeconfigPath(cluster: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(hakubeHome(env), cluster, 'admin.conf');
}

/** Writes a fetched admin.conf and returns its path; a path from an older run passes through. */
export function saveKubeconfig(cluster: string, value: Kubeconfig | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (value === undefined || !isSecret(value)) return value;
  const file = kubeconfigPath(cluster, env);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Write to a temp file and rename: a reader never sees half a file, and the mode is set first.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, reveal(value), { mode: 0o600 });
  fs.renameSync(tmp, file);
  fs.chmodSync(file, 0o600);
  return file;
}

/** notAfter of the client certificate a kubeconfig embeds (ms), undefined when it has none. */
export function kubeconfigCertExpiry(text: string): number | undefined {
  const data = /^\s*client-certificate-data:\s*(\S+)/m.exec(text)?.[1];
  if (!data) return undefined;
  try {
    return Date.parse(new X509Certificate(Buffer.from(data, 'base64')).validTo);
  } catch {
    return undefined;
  }
}

/**
 * Writes `value` over the operator's copy only when its certificate outlives the copy's (after a
 * renewal, e.g. a scheduled one no CLI followed); returns the path when it wrote.
 */
export function refreshKubeconfig(cluster: string, value: Kubeconfig | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (value === undefined || !isSecret(value)) return undefined;
  const file = kubeconfigPath(cluster, env);
  const fresh = kubeconfigCertExpiry(reveal(value));
  const have = fs.existsSync(file) ? kubeconfigCertExpiry(fs.readFileSync(file, 'utf8')) : undefined;
  if (fresh === undefined || (have !== undefined && have >= fresh)) return undefined;
  return saveKubeconfig(cluster, value, env);
}

/** Progress with `kubeconfig` set to the operator's copy, once the run has fetched it. */
export async function withKubeconfig(handle: WorkflowHandle, p: Progress, env: NodeJS.ProcessEnv = process.env): Promise<Progress> {
  if (!p.kubeconfigFetched) return p;
  const value = await handle.query(kubeconfigQuery).catch(() => undefined);
  const file = saveKubeconfig(p.cluster, value, env);
  return file ? { ...p, kubeconfig: file } : p;
}
