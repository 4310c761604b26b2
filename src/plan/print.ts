/**
 * The plan for people (`hakube plan`) and for scripts (`--json`). Secret file contents are
 * masked in both; runtime values stay as {{name}} placeholders.
 */
import { groupHosts, hostRanges } from './groups';
import type { Plan, PlannedCommand, PlannedFile, PlannedPhase, PlannedStep } from './types';

export const MASK = '<secret: masked>';

/** The plan as JSON-ready data, with secret file contents replaced. */
export function maskPlan(plan: Plan): Plan {
  return {
    ...plan,
    phases: plan.phases.map((p) => ({
      ...p,
      steps: p.steps.map((s) => ({ ...s, files: s.files.map((f) => (f.secret && f.content ? { ...f, content: MASK } : f)) })),
    })),
  };
}

export function planJson(plan: Plan): string {
  return `${JSON.stringify(maskPlan(plan), null, 2)}\n`;
}

/** How an operator would type the argv: words with shell metacharacters single-quoted. */
export function shellWords(argv: string[]): string {
  return argv.map((w) => (/^[A-Za-z0-9_@%+=:,./{}-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function fileLine(f: PlannedFile): string {
  if (f.from) return `copy  ${f.path} (${f.mode}) from ${f.from.host}:${f.from.path}${f.secret ? ' [secret]' : ''}`;
  const size = f.secret ? 'secret, masked' : `${f.content.split('\n').length - (f.content.endsWith('\n') ? 1 : 0)} lines`;
  return `write ${f.path} (${f.mode}, ${size})`;
}

function commandLine(c: PlannedCommand): string {
  const extra = [c.long ? 'long' : '', c.okExitCodes ? `ok exit ${c.okExitCodes.join('/')}` : ''].filter(Boolean);
  return `run   ${shellWords(c.argv)}${extra.length ? `   [${extra.join(', ')}]` : ''}`;
}

export interface TextOptions {
  /** Print the content of every non-secret file under its line. */
  content?: boolean;
  /** Every host's steps, one host after another, instead of hosts with the same steps grouped. */
  hosts?: boolean;
  /** Host name -> address, so grouped steps show a host's own address as {address}. */
  addresses?: Record<string, string>;
}

function stepLines(s: PlannedStep, hostWidth: number, opts: TextOptions): string[] {
  const pad = ' '.repeat(hostWidth + 2);
  return [`   ${s.host.padEnd(hostWidth)}  ${s.title}`, ...stepBody(s, `   ${pad}`, opts)];
}

function stepBody(s: PlannedStep, indent: string, opts: TextOptions): string[] {
  const out: string[] = [];
  for (const f of s.files) {
    out.push(`${indent}${fileLine(f)}`);
    if (opts.content && !f.secret && !f.from) out.push(...f.content.replace(/\n$/, '').split('\n').map((l) => `${indent}   | ${l}`));
  }
  if (s.check) out.push(`${indent}skip if: ${shellWords(s.check.argv)}`);
  for (const c of s.commands) out.push(`${indent}${commandLine(c)}`);
  return out;
}

/** A phase's hosts in blocks of identical steps: "w1-w100 (100 hosts)", then those steps once. */
function groupedLines(p: PlannedPhase, opts: TextOptions): string[] {
  const out: string[] = [];
  for (const g of groupHosts(p, opts.addresses)) {
    const many = g.hosts.length > 1 ? ` (${g.hosts.length} hosts${g.uses.length ? `; ${g.uses.join(', ')}: each one's own` : ''})` : '';
    out.push(`   ${hostRanges(g.hosts)}${many}`);
    for (const s of g.steps) out.push(`     ${s.title}`, ...stepBody(s, '       ', opts));
  }
  return out;
}

/** How the runner executes the phase, in one line: what a reader needs to trust the order. */
function runLine(p: PlannedPhase): string {
  const r = p.run;
  const kind = r.kind === 'host' ? 'an activity per host' : r.kind === 'child' ? `a child workflow per host (${r.child})` : 'one cluster-level activity';
  const parts = [kind];
  if (r.undo) parts.push(`undo on failure: ${r.undo}`);
  if (r.gate) parts.push('gate before the next host: etcd quorum and apiserver /readyz');
  if (r.skippable) parts.push('a failed host may be skipped');
  if (r.then) parts.push(`then ${r.then}`);
  parts.push(`secrets: ${r.secrets.length ? r.secrets.join(', ') : 'none'}`);
  return `   runs as ${parts.join('; ')}`;
}

export function planText(plan: Plan, opts: TextOptions = {}): string {
  const lines = [`Plan for cluster ${plan.cluster} (master0: ${plan.master0})`, ''];
  const hostWidth = Math.max(4, ...plan.phases.flatMap((p) => p.steps.map((s) => s.host.length)));
  plan.phases.forEach((p, i) => {
    const head = `${i + 1}. ${p.name}`;
    if (p.skipped) {
      lines.push(`${head}: skipped, ${p.reason}`, '');
      return;
    }
    const at = p.concurrency <= 1 ? 'one at a time' : `up to ${p.concurrency} at a time`;
    lines.push(`${head}: ${hostRanges(p.hosts)} (${at}, ${p.steps.length} step${p.steps.length === 1 ? '' : 's'})`, runLine(p));
    if (opts.hosts) for (const s of p.steps) lines.push(...stepLines(s, hostWidth, opts));
    else lines.push(...groupedLines(p, opts));
    lines.push('');
  });
  lines.push('Runtime values ({{joinToken}}, {{caCertHash}}, {{certificateKey}}) are filled in on the host at run time and never logged.');
  return `${lines.join('\n')}\n`;
}
