/**
 * examples/ha-vip.yaml grown to 3 masters + N workers (w1..wN), written to a temp file: the
 * scale at which an operator's view (plan, board) must stay readable.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/temporal/paths';

export function bigSpecFile(workers: number): string {
  const example = readFileSync(join(PROJECT_ROOT, 'examples', 'ha-vip.yaml'), 'utf8');
  const hosts = [
    ...[1, 2, 3].map((i) => `    - { name: m${i}, address: 10.30.12.${i + 9}, roles: [control-plane] }`),
    ...Array.from({ length: workers }, (_, i) => `    - { name: w${i + 1}, address: 10.30.12.${i + 20}, roles: [worker] }`),
  ];
  const spec = example.replace(/^ {2}hosts:\n(?: {4}- .*\n)+/m, `  hosts:\n${hosts.join('\n')}\n`);
  if (spec === example) throw new Error('examples/ha-vip.yaml: no hosts list to replace');
  const file = join(mkdtempSync(join(tmpdir(), 'hakube-big-')), `ha-vip-3+${workers}.yaml`);
  writeFileSync(file, spec);
  return file;
}
