/**
 * Proving a rendered plan inert: its shell scripts and command lines parse (`sh -n`), and when
 * they are executed, a `canary` command smuggled into a spec value never runs. Execution happens
 * in a scratch directory, as an unprivileged user, with a PATH of stubs only: every command a
 * script calls (rm, kubeadm, etcdctl, curl, ...) is a no-op stub, and `canary` records that it
 * ran. Nothing here can touch the machine's real files.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Plan } from '../../src/plan/types';
import { commandLine } from '../../src/ssh/quote';

/** Every command the rendered scripts call, as a stub (builtins such as echo, test, read are the shell's). */
const STUBS = [
  'apt-cache', 'apt-get', 'awk', 'cat', 'chmod', 'containerd', 'cp', 'curl', 'cut', 'date', 'dirname', 'dnf', 'etcd', 'etcdctl', 'getent', 'gpg', 'grep',
  'haproxy', 'head', 'hostname', 'id', 'install', 'ip', 'keepalived', 'kill', 'kubeadm', 'kubectl', 'kubelet', 'ln', 'ls', 'mkdir', 'modprobe', 'mv', 'nginx',
  'openssl', 'rm', 'sed', 'sh', 'sha256sum', 'sleep', 'sort', 'ss', 'stat', 'sudo', 'swapoff', 'sysctl', 'systemctl', 'tail', 'tee', 'touch', 'tr', 'uname',
  'wget', 'xargs', 'bash', 'env', 'find', 'chown', 'base64', 'tar', 'wc', 'true', 'false', 'bc', 'python3', 'perl', 'nc',
];

export interface Sandbox {
  dir: string;
  stubs: string;
  canaryLog: string;
  close(): void;
}

export function sandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'hakube-inert-'));
  chmodSync(dir, 0o777);
  const stubs = join(dir, 'stubs');
  mkdirSync(stubs);
  for (const name of STUBS) writeFileSync(join(stubs, name), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const canaryLog = join(dir, 'canary.log');
  writeFileSync(join(stubs, 'canary'), `#!/bin/sh\necho "canary $*" >> ${canaryLog}\n`, { mode: 0o755 });
  chmodSync(stubs, 0o755);
  return { dir, stubs, canaryLog, close: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Shell text a plan runs: its script files and each command line as the SSH layer sends it. */
export interface ShellText {
  name: string;
  text: string;
}

export function isScript(path: string, content: string): boolean {
  return path.endsWith('.sh') || content.startsWith('#!/bin/sh');
}

export function shellTexts(plan: Plan): ShellText[] {
  const out: ShellText[] = [];
  for (const phase of plan.phases) {
    for (const step of phase.steps) {
      for (const f of step.files) if (isScript(f.path, f.content)) out.push({ name: `${step.id}:${f.path}`, text: f.content });
      for (const [i, c] of [...(step.check ? [step.check] : []), ...step.commands].entries()) {
        out.push({ name: `${step.id}#${i}`, text: `${commandLine(c.argv)}\n` });
      }
    }
  }
  return out;
}

/** Config files (not scripts) a plan writes, keyed by step and path. */
export function configFiles(plan: Plan): Map<string, string> {
  const out = new Map<string, string>();
  for (const phase of plan.phases) for (const step of phase.steps) for (const f of step.files) if (!isScript(f.path, f.content)) out.set(`${step.id}:${f.path}`, f.content);
  return out;
}

/** `sh -n` over each text; returns the names that do not parse. */
export function syntaxErrors(sb: Sandbox, texts: ShellText[]): string[] {
  if (!texts.length) return [];
  const files = texts.map((t, i) => {
    const p = join(sb.dir, `syntax-${i}.sh`);
    writeFileSync(p, t.text);
    return p;
  });
  const r = spawnSync('/bin/sh', ['-c', 'for f; do /bin/sh -n "$f" 2>/dev/null || echo "$f"; done', 'sh', ...files], { encoding: 'utf8', timeout: 30_000 });
  const bad = new Set(r.stdout.split('\n').filter(Boolean));
  return texts.filter((_, i) => bad.has(files[i])).map((t) => t.name);
}

const asNobody = (): string[] => (process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'] : []);

/** Runs each text with /bin/sh in the sandbox; returns what the canary logged (empty: it never ran). */
export function runAll(sb: Sandbox, texts: ShellText[]): string {
  if (existsSync(sb.canaryLog)) rmSync(sb.canaryLog);
  if (!texts.length) return '';
  const files = texts.map((t, i) => {
    const p = join(sb.dir, `run-${i}.sh`);
    writeFileSync(p, t.text, { mode: 0o644 });
    return p;
  });
  const runner = 'cd "$SCRATCH" || exit 9; for f; do /bin/sh "$f" </dev/null >/dev/null 2>&1; done; exit 0';
  const [cmd, ...pre] = [...asNobody(), '/usr/bin/env', '-i', `PATH=${sb.stubs}`, `HOME=${sb.dir}`, `SCRATCH=${sb.dir}`, 'ETCD_PKI_DIR=' + join(sb.dir, 'pki'), '/bin/sh', '-c', runner, 'sh', ...files];
  const r = spawnSync(cmd, pre, { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`runner exited ${r.status}: ${r.stderr}`);
  return existsSync(sb.canaryLog) ? readFileSync(sb.canaryLog, 'utf8') : '';
}

/** Characters that are syntax in each config format hakube writes (beyond newlines and controls, never allowed). */
function syntaxChars(path: string): string {
  if (path.endsWith('nginx.conf')) return ';{}#"\'\\ $';
  if (path.endsWith('haproxy.cfg')) return '#"\'\\ ';
  if (path.endsWith('keepalived.conf')) return '{}#!"\\ ';
  if (path.endsWith('.service') || path.includes('.service.d/')) return '\\;%$" \'';
  if (path.includes('sysctl.d/') || path.includes('modules-load.d/')) return '#;';
  return '';
}

/**
 * A config file that changed because of `value` must still be one it was meant to be: YAML
 * parses into as many documents as before (the value stayed a scalar the emitter quoted), and
 * other formats carry no character of their syntax from the value. Returns what is wrong.
 */
export function configProblems(path: string, baseline: string, content: string, value: string): string[] {
  // eslint-disable-next-line no-control-regex -- control characters are what must not get through
  if (/[\x00-\x1f\x7f]/.test(value) && content.includes(value)) return [`${path}: carries a control character from the value verbatim`];
  if (/\.(ya?ml)$/.test(path) || /^(apiVersion|kind):/m.test(baseline)) {
    const docs = (t: string) => parseAllDocuments(t) as unknown as Array<{ errors: unknown[] }>;
    const after = docs(content);
    if (after.some((d) => d.errors.length)) return [`${path}: no longer parses as YAML`];
    return after.length === docs(baseline).length ? [] : [`${path}: has a different number of YAML documents`];
  }
  const chars = syntaxChars(path);
  const bad = [...value].filter((ch) => chars.includes(ch));
  return bad.length && content.includes(value) ? [`${path}: the value brings syntax characters ${JSON.stringify([...new Set(bad)].join(''))}`] : [];
}
