/**
 * One lab host = a network namespace (made by net.ts) plus a "holder" process that owns the
 * host's UTS and private mount namespaces (its own /etc, /run, /var/lib, /var/log, /root, /tmp).
 * sshd, lab-boot and everything started over SSH join those namespaces, so they outlive sshd
 * itself; killing every process of the netns is a power-off, a new holder a boot.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { runRaw, RunResult, sleep } from './exec';
import { labBinDir } from './paths';
import { LabHostState, LabState } from './state';
import { authorizedKeysPath, HOST_SSH_DIR, sshdConfig } from './sshd';

/** root's PATH on a Debian host, with the fault shims' /usr/local/sbin first. */
export const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const HOST_ENV = { PATH: HOST_PATH, HOME: '/root', USER: 'root', LOGNAME: 'root', LANG: 'C.UTF-8', SHELL: '/bin/sh' };

/** Directories overlaid on the machine's own: a fresh host starts as a copy of this Debian. */
const OVERLAYS = [
  ['/etc', 'etc'],
  ['/var/lib', 'var-lib'],
  ['/var/log', 'var-log'],
] as const;

/** Paths on the machine. `sshd` is the host's /etc/ssh/hakube-lab, seen through its upper dir. */
export function hostPaths(h: LabHostState) {
  const sshd = join(h.dir, 'etc', 'upper', HOST_SSH_DIR.replace(/^\/etc\//, ''));
  return {
    shims: join(h.dir, 'shims'),
    sshd,
    hostKey: join(sshd, 'ssh_host_ed25519_key'),
    sshdConfig: join(sshd, 'sshd_config'),
    authorizedKeys: join(sshd, 'authorized_keys'),
    /** sshd's own stderr before it opens its log (/var/log/hakube-lab/sshd.log in the host). */
    sshdStderr: join(h.dir, 'sshd.stderr'),
    bootLog: join(h.dir, 'lab-boot.log'),
    upper: (sub: string) => join(h.dir, sub, 'upper'),
  };
}

/**
 * Writes a file only when its content differs: a running host's overlay must not see its
 * upper dir change under it for nothing (reconciling `lab up` rewrites the same content).
 */
function writeIfChanged(path: string, content: string, mode = 0o644): void {
  if (existsSync(path) && readFileSync(path, 'utf8') === content) return;
  writeFileSync(path, content, { mode });
}

/** Creates the host's on-disk directories and first-boot files (hostname, hosts, machine-id). Idempotent. */
export function prepareHostDirs(state: LabState, h: LabHostState): void {
  const p = hostPaths(h);
  for (const [, sub] of OVERLAYS) {
    mkdirSync(join(h.dir, sub, 'upper'), { recursive: true });
    mkdirSync(join(h.dir, sub, 'work'), { recursive: true });
  }
  for (const d of ['root', 'tmp', 'shims']) mkdirSync(join(h.dir, d), { recursive: true });
  mkdirSync(p.sshd, { recursive: true });
  chmodSync(join(h.dir, 'tmp'), 0o1777);
  chmodSync(join(h.dir, 'root'), 0o700);
  const etc = p.upper('etc');
  if (!existsSync(join(etc, 'hostname'))) writeFileSync(join(etc, 'hostname'), `${h.name}\n`);
  // Each host is its own machine (a cloned VM with the template's machine-id is a known trap).
  if (!existsSync(join(etc, 'machine-id'))) writeFileSync(join(etc, 'machine-id'), `${randomBytes(16).toString('hex')}\n`);
  if (!existsSync(join(etc, 'hosts'))) {
    writeFileSync(join(etc, 'hosts'), `127.0.0.1\tlocalhost\n${h.address}\t${h.name}\n::1\tlocalhost ip6-localhost ip6-loopback\n`);
  }
  writeIfChanged(p.sshdConfig, sshdConfig(state, h));
  writeIfChanged(p.authorizedKeys, readFileSync(authorizedKeysPath(state.cluster), 'utf8'), 0o600);
}

// Runs inside the new namespaces. `set -e`: a host with a half-made /etc must not boot.
const HOLDER_SCRIPT = `set -e
d="$1"; name="$2"; labbin="$3"
exec 3<"$d/root" 4<"$d/tmp"
hostname "$name"
# First, while the machine's /tmp and /run are still visible (the dir may live there).
if [ -d "$labbin" ]; then mount --bind "$labbin" /usr/local/bin; fi
mount --bind "$d/shims" /usr/local/sbin
mount -t tmpfs -o mode=0755,size=256m tmpfs /run
mkdir -p /run/sshd /run/lock
for m in /etc:etc /var/lib:var-lib /var/log:var-log; do
  t="\${m%%:*}"; s="\${m#*:}"
  mount -t overlay "hakube-lab-$s" -o "lowerdir=$t,upperdir=$d/$s/upper,workdir=$d/$s/work" "$t"
done
# The checkout may itself live under /root or /tmp: reach both sources through descriptors
# opened before either is covered.
mount --no-canonicalize --bind /proc/self/fd/3 /root
mount --no-canonicalize --bind /proc/self/fd/4 /tmp
exec 3<&- 4<&-
# Kernel settings outside a netns are the machine's (and every other host's): read-only here,
# as /sys. net.* is per network namespace, so the host may set its own.
mount -t sysfs -o ro sysfs /sys 2>/dev/null || true
mount --bind /proc/sys /proc/sys
mount -o remount,bind,ro /proc/sys
mount --bind /proc/sys/net /proc/sys/net
mount -o remount,bind,rw /proc/sys/net
mkdir -p /var/lib/hakube-lab/faults /var/log/hakube-lab
echo ready
exec sleep infinity </dev/null >/dev/null 2>&1
`;

/** Boots the host's namespaces; resolves with the holder's pid once its mounts are in place. */
export function startHolder(h: LabHostState): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'nsenter',
      [`--net=/run/netns/${h.netns}`, '--', 'unshare', '--uts', '--mount', '--propagation', 'private', '--',
        '/bin/sh', '-c', HOLDER_SCRIPT, 'lab-holder', h.dir, h.name, labBinDir()],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: HOST_ENV, cwd: '/' },
    );
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`host ${h.name}: namespaces not ready after 15s`)), 15000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    };
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('ready\n')) {
        clearTimeout(timer);
        child.stdout.destroy();
        child.stderr.destroy();
        child.unref();
        child.removeAllListeners('exit');
        resolve(child.pid!);
      }
    });
    child.on('exit', (code) => fail(new Error(`host ${h.name}: namespace set-up failed (exit ${code}): ${err.trim()}`)));
    child.on('error', fail);
  });
}

function nsenterArgs(holderPid: number): string[] {
  return ['-t', String(holderPid), '-n', '-m', '-u', '--wd=/root', '--'];
}

/** Starts a detached process inside the host; its output goes to a file on the machine. */
export function spawnInHost(holderPid: number, argv: string[], logFile: string): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn('nsenter', [...nsenterArgs(holderPid), ...argv], { detached: true, stdio: ['ignore', fd, fd], env: HOST_ENV, cwd: '/' });
    child.unref();
    return child.pid!;
  } finally {
    closeSync(fd);
  }
}

/** Runs argv inside the host's namespaces (no SSH) and collects its result. */
export function execInHost(holderPid: number, argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return runRaw('nsenter', [...nsenterArgs(holderPid), ...argv], { ...opts, env: HOST_ENV, cwd: '/' });
}

export function startSshd(h: LabHostState, holderPid: number): number {
  const p = hostPaths(h);
  return spawnInHost(holderPid, ['/usr/sbin/sshd', '-D', '-f', `${HOST_SSH_DIR}/sshd_config`, '-E', '/var/log/hakube-lab/sshd.log'], p.sshdStderr);
}

/**
 * Waits until the host's sshd listens: over the bridge when the host's cable is in, else (a
 * `link-down` fault) by asking the host's own socket table.
 */
export async function waitForSshd(h: LabHostState, holderPid: number, port: number, timeoutMs = 15000): Promise<void> {
  let linkUp = true;
  try {
    linkUp = readFileSync(`/sys/class/net/${h.veth}/operstate`, 'utf8').trim() !== 'down';
  } catch {
    // no such link: let the TCP probe report it
  }
  if (linkUp) return waitForPort(h.address, port, timeoutMs);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await execInHost(holderPid, ['ss', '-Hltn', `sport = :${port}`]);
    if (r.code === 0 && r.stdout.trim()) return;
    if (Date.now() > deadline) throw new Error(`host ${h.name}: sshd not listening on ${port} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Waits until address:port accepts TCP connections. */
export async function waitForPort(address: string, port: number, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: address, port, timeout: 1000 });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
      s.once('timeout', () => {
        s.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${address}:${port} not accepting connections after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Like a boot's init: hands over to the simulators' lab-boot when they are installed. */
export function runLabBoot(h: LabHostState, holderPid: number): number | undefined {
  if (!existsSync(join(labBinDir(), 'lab-boot'))) return undefined;
  return spawnInHost(holderPid, ['/usr/local/bin/lab-boot'], hostPaths(h).bootLog);
}
