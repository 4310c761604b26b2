/**
 * observeCluster: the cluster itself, read before apply diffs (plan/observed.ts compares it):
 * its Nodes through a control plane's admin.conf (master0 first, then the next one that
 * answers), the etcd member list the topology's driver knows how to ask, and the backend list
 * actually in each holder's proxy config. Read-only; what cannot be read is reported, not
 * thrown, so the difference still shows what is known.
 */
import { etcdDriver } from '../drivers/etcd';
import { lbDriver } from '../drivers/lb';
import type { ObservedCluster } from '../plan/observed';
import { parseMembers, parseNodes } from '../plan/observed';
import { ADMIN_CONF } from '../render/paths';
import { controlPlanes, master0 } from '../spec/topology';
import type { Cluster } from '../spec/types';
import type { SshPool } from '../ssh';
import { pool as limited } from '../workflows/runner';
import { targetFor } from './targets';

const NODES_JSONPATH = '{range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{" "}{end}';
const ANY_EXIT = Array.from({ length: 256 }, (_, i) => i);

const firstLine = (s: string) => s.trim().split('\n').slice(-1)[0]?.slice(0, 200) ?? '';

export async function observeCluster(pool: SshPool, spec: Cluster, beat: () => void = () => undefined): Promise<ObservedCluster> {
  const m0 = master0(spec);
  const order = [m0, ...controlPlanes(spec).filter((h) => h.name !== m0.name)];
  const out: ObservedCluster = { from: m0.name, backends: {}, errors: [] };
  for (const cp of order) {
    try {
      const conn = await pool.get(targetFor(spec, cp.name));
      const r = await conn.run(['kubectl', '--kubeconfig', ADMIN_CONF, 'get', 'nodes', '-o', `jsonpath=${NODES_JSONPATH}`], { okExitCodes: ANY_EXIT });
      if (r.exitCode !== 0) {
        out.errors.push(`Nodes through ${cp.name}: ${firstLine(r.stderrTail) || `exit ${r.exitCode}`}`);
        continue;
      }
      out.from = cp.name;
      out.nodes = parseNodes(r.stdoutTail);
      const m = await conn.run(etcdDriver(spec).memberListArgv(spec), { okExitCodes: ANY_EXIT });
      if (m.exitCode === 0) out.members = parseMembers(m.stdoutTail);
      else out.errors.push(`etcd members through ${cp.name}: ${firstLine(m.stderrTail) || `exit ${m.exitCode}`}`);
      break;
    } catch (err) {
      out.errors.push(`${cp.name}: ${firstLine((err as Error).message)}`);
    }
    beat();
  }
  const lb = lbDriver(spec);
  const list = lb.backendList;
  if (list && lb.skipReason(spec) === undefined) {
    await limited(lb.holders(spec), 8, async (h) => {
      try {
        const conn = await pool.get(targetFor(spec, h.name));
        const r = await conn.run(['cat', list.path], { okExitCodes: ANY_EXIT });
        out.backends[h.name] = r.exitCode === 0 ? list.parse(r.stdoutTail) : { error: firstLine(r.stderrTail) || `exit ${r.exitCode}` };
      } catch (err) {
        out.backends[h.name] = { error: firstLine((err as Error).message) };
      }
      beat();
      return true;
    });
  }
  return out;
}
