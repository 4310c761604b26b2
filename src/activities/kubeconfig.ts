/**
 * fetchKubeconfig: admin.conf from master0 to `<HAKUBE_HOME>/<cluster>/admin.conf` (0600) on the
 * worker's machine. With a local proxy the file points at 127.0.0.1, which only works on the
 * nodes, so the copy is pointed at master0's apiserver instead.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SshConnection } from '../ssh';
import { lbDriver } from '../drivers/lb';
import { master0 as master0Of } from '../spec/topology';
import type { Cluster } from '../spec/types';
import { hakubeHome } from '../temporal/paths';
import { ADMIN_CONF } from '../render/paths';

export function kubeconfigPath(cluster: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(hakubeHome(env), cluster, 'admin.conf');
}

export function forOperator(text: string, spec: Cluster, master0Address: string): string {
  const server = lbDriver(spec).operatorServer(spec, { ...master0Of(spec), address: master0Address });
  if (!server) return text;
  return text.replace(/^(\s*server:\s*)\S+$/m, `$1${server}`);
}

export async function fetchKubeconfig(conn: SshConnection, spec: Cluster, master0Address: string): Promise<string> {
  const text = forOperator(await conn.readFile(ADMIN_CONF), spec, master0Address);
  const file = kubeconfigPath(spec.metadata.name);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Write to a temp file and rename: a reader never sees half a file, and the mode is set first.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
  fs.chmodSync(file, 0o600);
  return file;
}
