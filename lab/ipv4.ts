/** IPv4 arithmetic the lab needs to derive a bridge subnet from the hosts' addresses. */

export function ipToInt(address: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  const parts = m ? m.slice(1).map(Number) : [];
  if (!m || parts.some((p) => p > 255)) throw new Error(`not an IPv4 address: ${address}`);
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

export function intToIp(v: number): string {
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

export function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export interface Subnet {
  base: number;
  prefix: number;
}

export function subnetString(s: Subnet): string {
  return `${intToIp(s.base)}/${s.prefix}`;
}

export function parseSubnet(cidr: string): Subnet {
  const [addr, bits] = cidr.split('/');
  const prefix = Number(bits);
  return { base: (ipToInt(addr) & mask(prefix)) >>> 0, prefix };
}

export function contains(s: Subnet, ip: number): boolean {
  return ((ip & mask(s.prefix)) >>> 0) === s.base;
}

export function overlap(a: Subnet, b: Subnet): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

/**
 * The smallest subnet (at most a /24, at least a /16) holding every address: a lab's hosts
 * usually sit in one /24, as the runbooks' do.
 */
export function enclosingSubnet(addresses: string[]): Subnet {
  const ips = addresses.map(ipToInt);
  for (let prefix = 24; prefix >= 16; prefix--) {
    const base = (ips[0] & mask(prefix)) >>> 0;
    const s = { base, prefix };
    // Network and broadcast addresses cannot be hosts.
    if (ips.every((ip) => contains(s, ip) && ip !== base && ip !== (base | ~mask(prefix)) >>> 0)) return s;
  }
  throw new Error(`the lab's addresses do not fit in one /16: ${addresses.join(', ')}`);
}

/** A free address for the machine's side of the bridge: the highest one nobody else uses. */
export function bridgeAddress(s: Subnet, used: string[]): string {
  const taken = new Set(used.map(ipToInt));
  const broadcast = (s.base | ~mask(s.prefix)) >>> 0;
  for (let ip = broadcast - 1; ip > s.base; ip--) if (!taken.has(ip)) return intToIp(ip);
  throw new Error(`no free address left in ${subnetString(s)} for the lab bridge`);
}
