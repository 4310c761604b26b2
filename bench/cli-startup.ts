/**
 * Start-up of the CLI against bare Node, side by side in one run: `node -e 0`, `hakube --help`
 * and `hakube plan -f examples/ha-vip.yaml`, interleaved round by round so a busy machine slows
 * all three alike. Target: each hakube command within 3x `node -e 0` (median wall time).
 * Exits 1 when missed. `node --import tsx bench/cli-startup.ts [rounds]` (default 15).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'hakube.js');
const TARGET = 3;
const rounds = Number(process.argv[2] ?? 15);

const cases: Array<{ name: string; args: string[] }> = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'hakube --help', args: [BIN, '--help'] },
  { name: 'hakube plan -f examples/ha-vip.yaml', args: [BIN, 'plan', '-f', 'examples/ha-vip.yaml'] },
];

function once(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// One warm-up round: builds the bundle if the sources changed, fills the page cache.
for (const c of cases) once(c.args);
const times = cases.map(() => [] as number[]);
for (let i = 0; i < rounds; i++) cases.forEach((c, j) => times[j].push(once(c.args)));

const base = median(times[0]);
let missed = false;
for (const [j, c] of cases.entries()) {
  const m = median(times[j]);
  const ratio = m / base;
  const verdict = j === 0 ? '' : ratio <= TARGET ? `  ok (target <= ${TARGET}x)` : `  MISSED (target <= ${TARGET}x)`;
  if (j > 0 && ratio > TARGET) missed = true;
  process.stdout.write(`${c.name.padEnd(38)} median ${m.toFixed(0).padStart(5)} ms  ${ratio.toFixed(2)}x${verdict}\n`);
}
process.stdout.write(`(${rounds} interleaved rounds)\n`);
process.exitCode = missed ? 1 : 0;
