/**
 * One zod type per kind of value a spec carries to a host. Renderers paste these values into
 * shell scripts, kubeadm YAML and nginx/haproxy/keepalived/systemd/sysctl files, so each kind
 * admits only the characters its own grammar needs: whatever passes here has no newline, no
 * quote and no shell or config metacharacter unless the kind says so. Messages follow the
 * offending value: `<path>: <value> <message>`. Pure: no Node built-ins.
 */
import { z } from 'zod';
import { ipv4ToInt } from './net';

/** RFC 1123 host name: dot-separated labels of letters, digits and inner '-', 253 characters at most. */
export const RFC1123_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Why an IPv4 address cannot be a node's, or undefined when it can. */
export function unusableAddress(address: string): string | undefined {
  const ip = ipv4ToInt(address);
  if (ip === undefined) return undefined;
  const first = ip >>> 24;
  if (ip === 0) return 'is the unspecified address 0.0.0.0';
  if (first === 0) return 'is in 0.0.0.0/8 ("this network"), which no host can be reached on';
  if (first === 127) return 'is a loopback address; other hosts cannot reach it';
  if (ip === 0xffffffff) return 'is the broadcast address';
  if (first >= 224 && first <= 239) return 'is a multicast address';
  if (first >= 240) return 'is in the reserved range 240.0.0.0/4';
  return undefined;
}

export const ipv4 = z.ipv4({ error: 'is not an IPv4 address; write four numbers 0-255, e.g. 10.0.0.1' });

/** An address other hosts dial: an IPv4 literal that is not 0.0.0.0, loopback, multicast or broadcast. */
export const nodeAddress = ipv4.superRefine((v, ctx) => {
  const why = unusableAddress(v);
  if (why) ctx.addIssue({ code: 'custom', input: v, message: `${why}; give the address the other hosts reach this one on` });
});

/** A host the worker or the cluster dials by name or address (bastion, external load balancer). */
export const hostOrAddress = z
  .string({ error: 'must be a string' })
  .regex(RFC1123_NAME, { error: 'is not a host name or IPv4 address; use an RFC 1123 name (letters, digits, inner "-", dots) or e.g. 10.0.0.1' })
  .superRefine((v, ctx) => {
    if (/^[\d.]+$/.test(v) && !IPV4.test(v)) ctx.addIssue({ code: 'custom', input: v, message: 'is not an IPv4 address; write four numbers 0-255, e.g. 10.0.0.1' });
    const why = unusableAddress(v);
    if (why) ctx.addIssue({ code: 'custom', input: v, message: `${why}; give an address the hosts can reach` });
  });

/** Directories a spec may never name: removing or replacing one breaks the host. */
const SYSTEM_DIRS = new Set([
  '/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib32', '/lib64', '/media', '/mnt', '/opt', '/proc', '/root', '/run', '/sbin', '/srv', '/sys', '/tmp', '/usr', '/var',
  '/etc/kubernetes', '/etc/kubernetes/pki', '/etc/systemd', '/etc/ssh', '/usr/bin', '/usr/lib', '/usr/local', '/usr/sbin', '/usr/share', '/var/lib', '/var/log', '/var/run', '/var/tmp', '/var/cache',
  '/var/lib/kubelet', '/etc/hakube', '/var/lib/hakube',
]);

/**
 * A path on a host: absolute, only letters, digits and `._-/+@` (nothing a shell or glob would
 * read), no `..` or empty segment, and not a system directory such as `/`, `/etc` or `/usr`.
 */
export const hostPath = z
  .string({ error: 'must be a string' })
  .superRefine((v, ctx) => {
    const bad = (message: string) => ctx.addIssue({ code: 'custom', input: v, message });
    if (!v.startsWith('/')) return bad('is not an absolute path; start it with /, e.g. /var/lib/etcd');
    const odd = /[^A-Za-z0-9._/+@-]/.exec(v);
    if (odd) return bad(`contains ${JSON.stringify(odd[0])}; a host path may only use letters, digits and . _ - + @ /`);
    if (v.length > 4096) return bad('is longer than 4096 characters');
    const segs = v.slice(1).split('/');
    if (segs.some((s) => s === '..' || s === '.')) return bad('contains a "." or ".." segment; write the path without them');
    if (v !== '/' && segs.some((s) => s === '')) return bad('has an empty segment or a trailing /; write e.g. /var/lib/etcd');
    if (v === '/' || SYSTEM_DIRS.has(v)) return bad('is a system directory; give a directory of its own, e.g. /var/lib/etcd');
  });

/** What Linux accepts as an interface name (dev_valid_name): 1..15 bytes, no '/', ':' or whitespace. */
export const interfaceName = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9_.@-]{1,15}$/, { error: "is not a network interface name; Linux allows at most 15 characters without '/', ':' or whitespace, e.g. eth0 (see `ip a`)" })
  .refine((v) => v !== '.' && v !== '..', { error: 'is not a network interface name; e.g. eth0 (see `ip a`)' });

/**
 * A sysctl value: words of letters, digits and `._:,/+@%-` separated by single spaces (numbers,
 * ranges such as "1024 65000", names). No '#', ';' or '=' that sysctl.d would read, and no '|':
 * kernel.core_pattern would run it as a program.
 */
export const sysctlValue = z
  .string({ error: 'must be a string (quote numbers: "1")' })
  .regex(/^[A-Za-z0-9._:,/+@%-]+( [A-Za-z0-9._:,/+@%-]+)*$/, { error: "is not a sysctl value; write words of letters, digits and . _ : , / + @ % - separated by single spaces, e.g. \"1\" or \"1024 65000\"" });

/** A sysctl key as sysctl.d(5) reads it: segments of letters, digits, '_' and '-', joined by '.' or '/'. */
export const sysctlKey = z
  .string()
  .regex(/^[a-z0-9_][A-Za-z0-9_-]*([./][A-Za-z0-9_-]+)+$/, { error: 'is not a sysctl key; write e.g. net.ipv4.ip_forward' });

/** A value that stays on one line: printable ASCII without leading or trailing blanks. */
const ONE_LINE = /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/;
export const oneLine = (what: string) =>
  z.string({ error: 'must be a string (quote numbers and booleans)' }).regex(ONE_LINE, { error: `is not a valid ${what}; write it on one line in printable ASCII, without leading or trailing blanks` });

/** A component flag's name as kubeadm's extraArgs take it: no leading dashes, no '='. */
export const flagName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/i, { error: 'is not a flag name; write it without leading dashes, e.g. event-ttl' });

/** An apiserver certificate SAN: a DNS name (a wildcard only as its leftmost label) or an IPv4 address. */
export const certSAN = z
  .string({ error: 'must be a string' })
  .regex(/^(\*\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/, {
    error: 'is not a certificate SAN; use a lowercase DNS name (a wildcard only as the leftmost label, e.g. *.example.com) or an IPv4 address',
  })
  .max(253, { error: 'is longer than 253 characters, the most a DNS name has' })
  .superRefine((v, ctx) => {
    if (/^[\d.]+$/.test(v) && !IPV4.test(v)) ctx.addIssue({ code: 'custom', input: v, message: 'is not an IPv4 address; write four numbers 0-255' });
  });

/*
 * The OCI distribution reference grammar (docker/distribution's reference package):
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [domain "/"] path-component ["/" path-component]*
 */
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
export const IMAGE_REFERENCE = new RegExp(`^${NAME}(?::${TAG})?(?:@${DIGEST})?$`);
export const IMAGE_REPOSITORY = new RegExp(`^${NAME}$`);

export const imageRef = z
  .string({ error: 'must be a string' })
  .max(255, { error: 'is longer than 255 characters' })
  .regex(IMAGE_REFERENCE, { error: 'is not an image reference; write REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST], e.g. docker.io/library/haproxy:2.8' });

export const imageRepository = z
  .string({ error: 'must be a string' })
  .max(255, { error: 'is longer than 255 characters' })
  .regex(IMAGE_REPOSITORY, { error: 'is not an image repository; write REGISTRY[/PATH] without a tag, e.g. registry.k8s.io' });

/** POSIX portable user name (what useradd accepts by default), 32 characters at most. */
export const posixUser = z
  .string({ error: 'must be a string' })
  .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: 'is not a POSIX user name; use lowercase letters, digits, _ and - (at most 32, not starting with a digit or -)' });

/** `SHA256:<43 base64 characters>`, the fingerprint `ssh-keygen -lf` prints (padding optional). */
export const hostKeyFingerprint = z
  .string({ error: 'must be a string' })
  .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, { error: 'is not a SHA256 host key fingerprint; copy the SHA256:... field that `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints on the host' });

/**
 * A file the worker reads (SSH key, known_hosts): relative to the worker's directory or
 * absolute, one line, no `..` segment. Where it may lie is the worker's decision (src/activities).
 */
export const workerPath = z
  .string({ error: 'must be a string' })
  .min(1, { error: 'is empty; give a path' })
  .max(4096, { error: 'is longer than 4096 characters' })
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
  .regex(/^[^\x00-\x1f\x7f]+$/, { error: 'contains a control character; write the path on one line' })
  .refine((v) => !v.split('/').includes('..'), { error: 'contains a ".." segment; give the path without it' });

/** A Kubernetes quantity (e.g. 256Mi, 200m, 1.5G) or a percentage (10%), as kubelet thresholds take them. */
export const quantityOrPercent = z
  .string({ error: 'must be a string (quote numbers)' })
  .regex(/^(\d+(\.\d+)?%|\d+(\.\d+)?([KMGTPE]i|[mkMGTPE])?)$/, { error: 'is not a quantity or percentage; write e.g. 256Mi, 200m or 10%' });

export const quantity = z
  .string({ error: 'must be a string (quote numbers)' })
  .regex(/^\d+(\.\d+)?([KMGTPE]i|[mkMGTPE])?$/, { error: 'is not a quantity; write e.g. 256Mi or 200m' });

/** A Go duration (kubelet's grace periods): 1m, 90s, 1h30m. */
export const goDuration = z
  .string({ error: 'must be a string' })
  .regex(/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/, { error: 'is not a duration; write e.g. 90s, 1m or 1h30m' });

/**
 * A certificate lifetime as kubeadm's v1beta4 config takes it (a Go duration in hours, minutes
 * and seconds): at least 1h, so a renewal has time to run before the certificate lapses.
 */
export const certValidity = z
  .string({ error: 'must be a string' })
  .regex(/^(\d+h)?(\d+m)?(\d+s)?$/, { error: 'is not a certificate lifetime; write hours, minutes and seconds, e.g. 8760h (one year) or 2h30m' })
  .refine((v) => v !== '' && durationSeconds(v) >= 3600, { error: 'is shorter than 1h; give a lifetime of at least 1h, e.g. 2h' });

/** Seconds in a duration of h/m/s parts (the forms certValidity accepts). */
export function durationSeconds(v: string): number {
  let total = 0;
  for (const m of v.matchAll(/(\d+)(h|m|s)/g)) total += Number(m[1]) * { h: 3600, m: 60, s: 1 }[m[2] as 'h' | 'm' | 's'];
  return total;
}

/** Eviction signal names (memory.available, nodefs.inodesFree, ...). */
export const evictionSignal = z.string().regex(/^[a-z]+\.[a-zA-Z]+$/, { error: 'is not an eviction signal; write e.g. memory.available or nodefs.inodesFree' });

/** Resource names for kubeReserved (cpu, memory, ephemeral-storage, pid). */
export const resourceName = z.string().regex(/^[a-z][a-z0-9-]*$/, { error: 'is not a resource name; write e.g. cpu, memory or ephemeral-storage' });

/** A DNS domain such as cluster.local: an RFC 1123 name in lowercase. */
export const dnsDomain = z
  .string({ error: 'must be a string' })
  .regex(/^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/, { error: 'is not a DNS domain; write lowercase labels joined by dots, e.g. cluster.local' });
