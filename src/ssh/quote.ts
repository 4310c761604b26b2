/**
 * Turning argv into the one string an SSH `exec` request carries. Every word is wrapped in POSIX
 * single quotes, inside which the shell interprets nothing, so `$(id)`, `;`, globs and newlines
 * arrive as literal bytes. Nothing is ever pasted into the command line raw: env names are
 * validated identifiers and env values are quoted like words.
 */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Quote one word; throws on NUL, which no argv can carry. */
export function shellQuote(word: string): string {
  if (word.includes('\0')) throw new TypeError('a command word cannot contain a NUL byte');
  // A closing quote, an escaped quote, and a reopening quote: the only character that needs care.
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function isEnvName(name: string): boolean {
  return ENV_NAME.test(name);
}

/**
 * `NAME='value' ... 'argv0' 'argv1' ...`: prefix assignments rather than the SSH `env` request,
 * because sshd drops variables not listed in its AcceptEnv.
 */
export function commandLine(argv: readonly string[], env: Readonly<Record<string, string>> = {}): string {
  if (argv.length === 0) throw new TypeError('empty argv');
  const assignments = Object.entries(env).map(([name, value]) => {
    if (!isEnvName(name)) throw new TypeError(`invalid environment variable name ${JSON.stringify(name)}`);
    return `${name}=${shellQuote(value)}`;
  });
  return [...assignments, ...argv.map(shellQuote)].join(' ');
}
