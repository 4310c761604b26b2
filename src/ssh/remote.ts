/**
 * The shell text sent for a command and for the file helpers. Kept apart so the reasoning about
 * process lifetimes lives in one place.
 */

/**
 * Ties the remote command's life to the SSH channel. Closing a channel does not stop a command
 * that has no pty: sshd just closes the pipes and a quiet command (kubeadm waiting, sleep) would
 * run on after an abort or a worker crash and collide with the retry. So the command runs in the
 * background while a watchdog reads the channel's stdin, which the client never closes: EOF there
 * means the channel (or the whole connection) is gone, and if the command still runs the watchdog
 * signals the session's process group (sshd made the session its own group), TERM then KILL.
 * Async lists get /dev/null as stdin, hence the saved descriptor 3. A `read` loop rather than
 * `cat` spares every command an extra exec.
 */
export function withChannelWatchdog(commandLine: string): string {
  return [
    'exec 3<&0',
    `${commandLine} </dev/null 3<&- & c=$!`,
    "{ while read -r _; do :; done <&3; trap '' TERM; if kill -0 $c 2>/dev/null; then kill -TERM 0; sleep 5; kill -KILL 0; fi; } >/dev/null 2>&1 &",
    'w=$!',
    'exec 3<&-',
    'wait $c; s=$?',
    'kill $w 2>/dev/null',
    'exit $s',
  ].join('\n');
}

/**
 * The argv that runs `argv` as root for a non-root SSH user. `-n`: fail at once instead of
 * prompting for a password nobody will type. Environment variables are handed over by name
 * (`--preserve-env`), not as `env NAME=value` words, so their values stay out of the process list.
 */
export function sudoArgv(argv: readonly string[], envNames: readonly string[] = []): string[] {
  return ['sudo', '-n', ...(envNames.length ? [`--preserve-env=${envNames.join(',')}`] : []), '--', ...argv];
}

/** What sudo prints when the user has no password-less right (or there is no sudo at all). */
export const SUDO_REFUSED = /^(sudo: (a password is required|a terminal is required|.*not allowed to execute)|(sudo: )?\S+ is not in the sudoers file|Sorry, user .* may not run sudo|.*sudo: (command )?not found)/m;

/** Prints `<sha256>` and `<octal mode>` on two lines; exit 1 when the file is missing. */
export const PROBE_FILE = 'sha256sum -- "$1" 2>/dev/null && stat -c %a -- "$1"';

/**
 * `sh -c WRITE_FILE sh PATH TMP MODE SHA256` with the content on stdin: compares and installs in
 * one round trip, printing `same` (the file already has that sha256 and mode), `mode` (only its
 * mode was changed) or `written`. A new content goes to a temp file beside the target, is checked
 * against the sha256 the worker sent ($4), and only then renamed over the target, so readers
 * never see a half-written file and a connection cut mid-upload (sshd then closes stdin, `cat`
 * sees an early EOF) never installs a truncated one. The umask keeps a secret unreadable by others
 * until chmod gives the planned mode; it is set after mkdir so created parent directories get
 * the usual modes. Modes compare as octal numbers (0644 = 644).
 */
export const WRITE_FILE = [
  // A signal (sshd ending the session) must not leave the temp file behind either.
  'trap \'rm -f -- "$2"; exit 1\' HUP INT PIPE TERM',
  // 1 is sha256sum's answer for a missing file; anything else it says stops the write.
  'h=$(sha256sum -- "$1" 2>&1) || { s=$?; [ "$s" = 1 ] || { echo "$h" >&2; exit "$s"; }; h=; }',
  // sha256sum prefixes a backslash when it had to escape the file name.
  'h=${h#\\\\}',
  'if [ "${h%% *}" = "$4" ]; then',
  // What arrives is not needed, but read: the worker's write must not race the channel closing.
  '  cat >/dev/null',
  '  m=$(stat -c %a -- "$1") || exit 1',
  '  if [ "$((0$m))" = "$((0$3))" ]; then echo same; exit 0; fi',
  '  chmod "$3" -- "$1" && echo mode; exit',
  'fi',
  'd=${1%/*}',
  '{ [ -d "${d:-/}" ] || mkdir -p -- "${d:-/}"; } && umask 077 && cat >"$2" && h=$(sha256sum <"$2") &&',
  '{ [ "${h%% *}" = "$4" ] || { echo "hakube: $1 arrived with another sha256 (upload cut short?): not installed" >&2; false; }; } &&',
  'chmod "$3" "$2" && mv -f -- "$2" "$1" && echo written || { s=$?; rm -f -- "$2"; exit $s; }',
].join('\n');

/*
 * Detached commands: long steps (kubeadm init/join/reset, package installs) must outlive the SSH
 * channel, the connection and the worker, and a new attempt must find the running copy or its
 * result instead of starting a second one. Each (step, command) has a state directory on the
 * host:
 *   lock     flock(1)ed by the running copy for its whole life: no second copy can run
 *   pending  made by the starter, removed by the copy once it holds the lock (start-up window)
 *   owner    which deploy run started it: a finished result is only taken by the same run
 *   started  epoch seconds at start, on the host's clock: the step's deadline survives re-attach
 *   pid      the copy's pid, the leader of its own session (setsid) or of its systemd unit
 *   mode     systemd | setsid, for stopping it
 *   out      the command's stdout and stderr, until its status is taken
 *   rc       its exit status, written when it ends (renamed rc.seen once read: a later attempt
 *            of the same run then starts afresh, one following the same copy still finds it)
 * The copy never holds the lock in the command itself (fd 9 is closed for it), so a daemon the
 * command leaves behind does not keep the step "running" forever.
 */

/**
 * The copy itself: `sh -c RUNNER sh DIR UMASK ARGV...`. Exit 75 without running when another
 * holds the lock. The command gets the umask the SSH session had, its output file stays root's.
 */
export const DETACHED_RUNNER = [
  'd=$1 um=$2; shift 2',
  'umask 077',
  'exec 9>>"$d/lock"',
  'flock -n 9 || exit 75',
  'echo $$ >"$d/pid"',
  ': >"$d/out"',
  'rm -f -- "$d/pending"',
  'umask "$um"',
  '"$@" </dev/null >>"$d/out" 2>&1 9>&-',
  's=$?',
  'echo $s >"$d/rc.tmp" && mv -f -- "$d/rc.tmp" "$d/rc"',
].join('\n');

/** Seconds since the file's mtime (a missing file is very old). */
const AGE = 'age_of() { m=$(stat -c %Y -- "$1" 2>/dev/null) || { echo 99999; return; }; echo $(( $(date +%s) - m )); }';

/**
 * `sh -c START sh DIR UNIT OWNER RUNNER ARGV...` prints `running` (a copy holds the lock or is
 * starting), `finished` (this run's copy ended and its status waits to be read) or `started`.
 * systemd-run is used where systemd is the running init (its own test: /run/systemd/system),
 * otherwise setsid; either way the copy is outside this SSH session.
 */
export const DETACHED_START = [
  'd=$1 u=$2 o=$3 r=$4; shift 4',
  AGE,
  'command -v flock >/dev/null 2>&1 || { echo "hakube: flock(1) is missing on this host (util-linux)" >&2; exit 127; }',
  // Output may hold secrets (kubeadm init prints its certificate key): root only.
  'um=$(umask); umask 077',
  'mkdir -p -- "$d" || exit 1',
  'if [ -f "$d/rc" ]; then',
  '  if [ "$(cat -- "$d/owner" 2>/dev/null)" = "$o" ]; then echo finished; exit 0; fi',
  '  rm -f -- "$d/rc"',
  'fi',
  'if ! flock -n "$d/lock" true; then echo running; exit 0; fi',
  'if [ -f "$d/rc" ]; then echo finished; exit 0; fi',
  'if [ -f "$d/pending" ] && [ "$(age_of "$d/pending")" -lt 30 ]; then echo running; exit 0; fi',
  'rm -f -- "$d/out" "$d/pid" "$d/rc.seen"',
  'printf \'%s\\n\' "$o" >"$d/owner" && date +%s >"$d/started" && : >"$d/pending" || exit 1',
  'if command -v systemd-run >/dev/null 2>&1 && [ -d /run/systemd/system ]; then',
  '  echo systemd >"$d/mode"',
  '  systemctl reset-failed "$u.service" >/dev/null 2>&1',
  '  systemd-run --unit="$u" --collect --quiet -- sh -c "$r" sh "$d" "$um" "$@" </dev/null >/dev/null || { s=$?; rm -f -- "$d/pending"; exit $s; }',
  'else',
  '  echo setsid >"$d/mode"',
  '  setsid sh -c "$r" sh "$d" "$um" "$@" </dev/null >/dev/null 2>&1 &',
  'fi',
  'echo started',
].join('\n');

/**
 * `sh -c ATTACH sh DIR TIMEOUT`: streams the copy's output on stdout from the start while it
 * runs; on stderr, one line per event and nothing else: `alive AGE` every 3 s (the host-side
 * liveness probe the activity heartbeats on), then one of `exit N`, `lost` (no copy holds the
 * lock, none is starting, no status: it died) or `hang AGE` (TIMEOUT seconds since it started,
 * 0 = none; the caller stops it).
 */
export const DETACHED_ATTACH = [
  'd=$1 t=$2 off=0 n=0',
  AGE,
  'flush() { sz=$(stat -c %s -- "$d/out" 2>/dev/null || echo 0); if [ "$sz" -gt "$off" ]; then tail -c +$((off + 1)) -- "$d/out" | head -c $((sz - off)); off=$sz; fi; }',
  'while :; do',
  '  flush',
  // Taken: the output goes too (kubeadm init prints its certificate key); the worker has the tail.
  '  if [ -f "$d/rc" ]; then flush; echo "exit $(cat -- "$d/rc")" >&2; mv -f -- "$d/rc" "$d/rc.seen"; rm -f -- "$d/out"; exit 0; fi',
  '  if flock -n "$d/lock" true && [ ! -f "$d/rc" ] && [ "$(age_of "$d/pending")" -ge 30 ]; then',
  // Another attempt following the same copy took its status first.
  '    if [ -f "$d/rc.seen" ]; then flush; echo "exit $(cat -- "$d/rc.seen")" >&2; exit 0; fi',
  '    rm -f -- "$d/pending"; flush; echo lost >&2; exit 0',
  '  fi',
  '  age=$(( $(date +%s) - $(cat -- "$d/started" 2>/dev/null || date +%s) ))',
  '  if [ "$t" -gt 0 ] && [ "$age" -ge "$t" ]; then flush; echo "hang $age" >&2; exit 0; fi',
  '  [ $((n % 3)) -eq 0 ] && echo "alive $age" >&2',
  '  n=$((n + 1))',
  '  sleep 1',
  'done',
].join('\n');

/** `sh -c STOP sh DIR UNIT`: ends a copy (TERM to its unit or session, KILL after 5 s) and forgets its status. */
export const DETACHED_STOP = [
  'd=$1 u=$2',
  'if [ "$(cat -- "$d/mode" 2>/dev/null)" = systemd ]; then systemctl stop "$u.service" >/dev/null 2>&1; fi',
  'p=$(cat -- "$d/pid" 2>/dev/null)',
  'i=0',
  'if [ -n "$p" ] && ! flock -n "$d/lock" true; then',
  '  kill -TERM "-$p" 2>/dev/null',
  '  while [ $i -lt 10 ] && ! flock -n "$d/lock" true; do sleep 0.5; i=$((i + 1)); done',
  '  flock -n "$d/lock" true || kill -KILL "-$p" 2>/dev/null',
  'fi',
  'rm -f -- "$d/pending" "$d/rc"',
].join('\n');

/**
 * `sh -c BUSY sh DIR...`: prints the index of the first directory whose copy runs (or is starting),
 * or -1. A step whose copy still runs is attached to, not judged by its check: kubeadm join
 * writes kubelet.conf long before it has finished.
 */
export const DETACHED_BUSY = [
  AGE,
  'i=0',
  'for d; do',
  '  if [ -d "$d" ] && { ! flock -n "$d/lock" true || { [ -f "$d/pending" ] && [ "$(age_of "$d/pending")" -lt 30 ]; }; }; then echo $i; exit 0; fi',
  '  i=$((i + 1))',
  'done',
  'echo -1',
].join('\n');

/** `sh -c FORGET sh DIR...`: drops finished results nobody read (the step's check says it is done). */
export const DETACHED_FORGET = 'for d; do rm -f -- "$d/rc"; done';
