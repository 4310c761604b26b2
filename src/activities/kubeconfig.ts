/**
 * fetchKubeconfig: admin.conf from master0, returned as a secret payload. The codec encrypts
 * it in history; the client that follows the run writes it for the operator
 * (src/client/kubeconfig.ts), so no worker's local disk is needed by anyone else. With a local
 * proxy the file points at 127.0.0.1, which only works on the nodes, so the copy is pointed at
 * master0's apiserver instead.
 */
import type { SshConnection } from '../ssh';
import { lbDriver } from '../drivers/lb';
import { master0 as master0Of } from '../spec/topology';
import type { Cluster } from '../spec/types';
import { ADMIN_CONF } from '../render/paths';
import { secret, type Secret } from '../temporal/secret';

export function forOperator(text: string, spec: Cluster, master0Address: string): string {
  const server = lbDriver(spec).operatorServer(spec, { ...master0Of(spec), address: master0Address });
  if (!server) return text;
  return text.replace(/^(\s*server:\s*)\S+$/m, `$1${server}`);
}

export async function fetchKubeconfig(conn: SshConnection, spec: Cluster, master0Address: string): Promise<Secret<string>> {
  return secret(forOperator(await conn.readFile(ADMIN_CONF), spec, master0Address));
}
