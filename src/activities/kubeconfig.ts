/**
 * fetchKubeconfig: admin.conf from master0, returned as a secret payload. The codec encrypts
 * it in history; the client that follows the run writes it for the operator
 * (src/client/kubeconfig.ts), so no worker's local disk is needed by anyone else. With a local
 * proxy the file points at 127.0.0.1, which only works on the nodes, so the copy is pointed at
 * master0's apiserver instead.
 */
import type { SshConnection } from '../ssh';
import type { Cluster } from '../spec/types';
import { ADMIN_CONF } from '../render/paths';
import { secret, type Secret } from '../temporal/secret';

export function forOperator(text: string, spec: Cluster, master0Address: string): string {
  if (spec.spec.loadBalancer.type !== 'local-proxy') return text;
  return text.replace(/^(\s*server:\s*)\S+$/m, `$1https://${master0Address}:${spec.spec.loadBalancer.apiserverBindPort}`);
}

export async function fetchKubeconfig(conn: SshConnection, spec: Cluster, master0Address: string): Promise<Secret<string>> {
  return secret(forOperator(await conn.readFile(ADMIN_CONF), spec, master0Address));
}
