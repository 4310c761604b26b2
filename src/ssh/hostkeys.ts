/**
 * Host key verification, the same decisions OpenSSH makes but without ever asking: a key is
 * accepted only when a known_hosts line or a pinned SHA256 fingerprint vouches for it.
 * Supported known_hosts syntax: plain and `[addr]:port` host patterns (comma lists, `*`/`?`
 * wildcards, `!` negation), hashed `|1|salt|hash` entries, any key type, and markers:
 * `@revoked` keys are refused for every host, `@cert-authority` lines vouch for nothing (we do not
 * accept host certificates).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface KnownHostEntry {
  marker?: string;
  hosts: string;
  key: Buffer;
}

export type HostKeyVerdict = { ok: true } | { ok: false; kind: 'mismatch' | 'unknown'; reason: string };

/** How OpenSSH names a host in known_hosts: the bare address on port 22, `[addr]:port` otherwise. */
export function knownHostName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** `SHA256:<base64 without padding>`, as `ssh-keygen -lf` prints it. */
export function fingerprintSha256(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (its first length-prefixed string). */
export function keyType(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  return blob.length >= 4 + len ? blob.subarray(4, 4 + len).toString('latin1') : '';
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0]?.startsWith('@') ? fields.shift() : undefined;
    const [hosts, , b64] = fields;
    if (!hosts || !b64) continue;
    const key = Buffer.from(b64, 'base64');
    // A line whose key does not decode to a blob is ignored, as ssh does, rather than trusted.
    if (!keyType(key)) continue;
    entries.push({ marker, hosts, key });
  }
  return entries;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

function hashedMatches(entry: string, name: string): boolean {
  const [, , salt, hash] = entry.split('|');
  if (!salt || !hash) return false;
  const want = Buffer.from(hash, 'base64');
  const got = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Whether a known_hosts host field names `name` (as produced by knownHostName). */
export function hostMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) return hashedMatches(hosts, name);
  let matched = false;
  for (const pattern of hosts.split(',')) {
    const negated = pattern.startsWith('!');
    if (!globToRegExp(negated ? pattern.slice(1) : pattern).test(name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

export interface HostKeyPolicy {
  entries: KnownHostEntry[];
  /** When set, the pin alone decides (known_hosts entries can still only revoke). */
  fingerprint?: string;
}

export function checkHostKey(blob: Buffer, name: string, policy: HostKeyPolicy): HostKeyVerdict {
  const fp = fingerprintSha256(blob);
  if (policy.entries.some((e) => e.marker === '@revoked' && e.key.equals(blob))) {
    return { ok: false, kind: 'mismatch', reason: `host key ${fp} is marked @revoked in known_hosts` };
  }
  if (policy.fingerprint) {
    const pinned = policy.fingerprint.replace(/=+$/, '');
    return pinned === fp
      ? { ok: true }
      : { ok: false, kind: 'mismatch', reason: `host key ${fp} does not match the pinned fingerprint ${pinned}` };
  }
  const forHost = policy.entries.filter((e) => e.marker === undefined && hostMatches(e.hosts, name));
  if (forHost.some((e) => e.key.equals(blob))) return { ok: true };
  const type = keyType(blob);
  if (forHost.some((e) => keyType(e.key) === type)) {
    return { ok: false, kind: 'mismatch', reason: `${type} host key ${fp} differs from the one in known_hosts for ${name}` };
  }
  return {
    ok: false,
    kind: 'unknown',
    reason: forHost.length
      ? `${type} host key ${fp} is not known for ${name} (only keys of other types are)`
      : `no known_hosts entry or pinned fingerprint for ${name} (host key ${fp})`,
  };
}

const DEFAULT_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/**
 * Like ssh, ask the server first for key types we already know for this host: otherwise a host with
 * only its RSA key in known_hosts would present ed25519 and be reported unknown.
 */
export function hostKeyAlgorithms(entries: KnownHostEntry[], name: string): string[] {
  const known = new Set<string>();
  for (const e of entries) {
    if (e.marker !== undefined || !hostMatches(e.hosts, name)) continue;
    const t = keyType(e.key);
    for (const alg of t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]) known.add(alg);
  }
  const first = DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => known.has(a));
  return [...first, ...DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => !known.has(a))];
}
