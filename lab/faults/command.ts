/**
 * Command faults: `command "kubeadm join" --fail [--times N] [--exit-code C] | --hang | --clear`.
 * A fault is a JSON file in the host's /var/lib/hakube-lab/faults/ (on disk, so it survives
 * restarts until cleared), enforced by a shim on the host's /usr/local/sbin, first on PATH.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../../src/temporal/paths';
import { hostPaths } from '../host';
import { FaultContext, registerFault } from './registry';

export const FAULT_DIR = '/var/lib/hakube-lab/faults';

export interface CommandFault {
  match: string[];
  mode: 'fail' | 'hang';
  /** Calls left to affect; -1 = until cleared. */
  times: number;
  exitCode: number;
}

// From the checkout, not next to this file: the launcher runs this code from a bundle in dist/.
const SHIM = readFileSync(join(PROJECT_ROOT, 'lab', 'faults', 'shim.pl'), 'utf8');

function faultFile(match: string[]): string {
  return `${match.map((w) => w.replace(/[^A-Za-z0-9._-]+/g, '_')).join('-')}.json`;
}

async function hostSh(ctx: FaultContext, script: string, input = ''): Promise<string> {
  const r = await ctx.exec(['/bin/sh', '-c', script], { input });
  if (r.code !== 0) throw new Error(`${ctx.host.name}: ${r.stderr.trim() || `exit ${r.code}`}`);
  return r.stdout;
}

async function remainingCommands(ctx: FaultContext): Promise<Set<string>> {
  const out = await hostSh(ctx, `cat ${FAULT_DIR}/*.json 2>/dev/null || true`);
  const cmds = new Set<string>();
  for (const line of out.split('\n')) {
    try {
      const f = JSON.parse(line) as CommandFault;
      if (f.match?.[0]) cmds.add(f.match[0]);
    } catch {
      // not one of ours
    }
  }
  return cmds;
}

/** Keeps exactly one shim per command that has a fault file. */
async function syncShims(ctx: FaultContext): Promise<void> {
  const shims = hostPaths(ctx.host).shims;
  const wanted = await remainingCommands(ctx);
  for (const cmd of wanted) {
    const p = join(shims, cmd);
    if (!existsSync(p) || readFileSync(p, 'utf8') !== SHIM) {
      writeFileSync(`${p}.tmp`, SHIM);
      chmodSync(`${p}.tmp`, 0o755);
      // rename: a shim being executed right now is never seen half-written.
      renameSync(`${p}.tmp`, p);
    }
  }
  for (const f of readdirSync(shims)) if (!wanted.has(f)) rmSync(join(shims, f), { force: true });
}

export async function setCommandFault(ctx: FaultContext, fault: CommandFault): Promise<void> {
  const file = `${FAULT_DIR}/${faultFile(fault.match)}`;
  await hostSh(ctx, `mkdir -p ${FAULT_DIR} && cat > ${file}.tmp && mv ${file}.tmp ${file}`, `${JSON.stringify(fault)}\n`);
  await syncShims(ctx);
}

export async function clearCommandFault(ctx: FaultContext, match?: string[]): Promise<void> {
  const target = match ? `${FAULT_DIR}/${faultFile(match)}` : `${FAULT_DIR}/*.json`;
  await hostSh(ctx, `rm -f ${target}`);
  await syncShims(ctx);
}

registerFault({
  kind: 'command',
  usage: 'command "CMD [SUBCMD...]" --fail [--times N] [--exit-code C] | --hang | --clear; command --clear-all | --list',
  async run(ctx) {
    const { positionals, values } = parseArgs({
      args: ctx.args,
      allowPositionals: true,
      options: {
        fail: { type: 'boolean' },
        hang: { type: 'boolean' },
        clear: { type: 'boolean' },
        'clear-all': { type: 'boolean' },
        list: { type: 'boolean' },
        times: { type: 'string' },
        'exit-code': { type: 'string' },
      },
    });
    if (values.list) return (await hostSh(ctx, `cat ${FAULT_DIR}/*.json 2>/dev/null || true`)).trim() || `${ctx.host.name}: no command faults`;
    if (values['clear-all']) {
      await clearCommandFault(ctx);
      return `${ctx.host.name}: every command fault cleared`;
    }
    const match = positionals.join(' ').split(/\s+/).filter(Boolean);
    if (match.length === 0) throw new Error('command: name the command, e.g. "kubeadm join"');
    if (/[/]/.test(match[0])) throw new Error('command: give the command name, not a path');
    if (values.clear) {
      await clearCommandFault(ctx, match);
      return `${ctx.host.name}: fault on "${match.join(' ')}" cleared`;
    }
    if (!values.fail === !values.hang) throw new Error('command: give exactly one of --fail, --hang, --clear');
    const times = values.times === undefined ? -1 : Number(values.times);
    const exitCode = values['exit-code'] === undefined ? 1 : Number(values['exit-code']);
    if (!Number.isInteger(times) || times < -1 || times === 0) throw new Error('command: --times must be a positive whole number');
    if (!Number.isInteger(exitCode) || exitCode < 1 || exitCode > 255) throw new Error('command: --exit-code must be 1..255');
    await setCommandFault(ctx, { match, mode: values.hang ? 'hang' : 'fail', times, exitCode });
    const n = times === -1 ? 'until cleared' : `${times} time(s)`;
    return `${ctx.host.name}: "${match.join(' ')}" will ${values.hang ? 'hang' : `fail with exit ${exitCode}`} ${n}`;
  },
});
