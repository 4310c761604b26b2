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
 * Writes stdin to a temp file beside the target and renames it over the target, so readers never
 * see a half-written file. The umask keeps a secret unreadable by others until chmod gives the
 * planned mode; it is set after mkdir so created parent directories get the usual modes.
 */
export const WRITE_FILE =
  'mkdir -p -- "$(dirname -- "$1")" && umask 077 && cat >"$2" && chmod "$3" "$2" && mv -f -- "$2" "$1" || { s=$?; rm -f -- "$2"; exit $s; }';
