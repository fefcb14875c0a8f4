import { SocketAddress, isIP } from 'node:net';

/**
 * IPv4/IPv6 networks in CIDR form ("10.0.0.0/8", "::1/128", a bare address = one host), for
 * allow-lists (who may join a cluster) and trusted lists (who is never banned). IPv4-mapped IPv6
 * addresses ("::ffff:10.1.2.3") match IPv4 networks, since dual-stack sockets report them so.
 */
export interface Network {
  readonly family: 4 | 6;
  readonly bits: Uint8Array;
  readonly prefix: number;
  readonly text: string;
}

export function parseNetwork(text: string): Network | undefined {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(addr);
  if (family !== 4 && family !== 6) return undefined;
  const bits = addressBytes(addr);
  if (bits === undefined) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefix = slash < 0 ? max : Number(text.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (slash >= 0 && !/^\d+$/.test(text.slice(slash + 1)))) return undefined;
  return { family, bits, prefix, text };
}

export function networkContains(net: Network, address: string): boolean {
  let a = address;
  if (net.family === 4 && a.toLowerCase().startsWith('::ffff:') && isIP(a.slice(7)) === 4) a = a.slice(7);
  if (isIP(a) !== net.family) return false;
  const bytes = addressBytes(a);
  if (bytes === undefined) return false;
  let left = net.prefix;
  for (let i = 0; left > 0; i++, left -= 8) {
    const mask = left >= 8 ? 0xff : (0xff << (8 - left)) & 0xff;
    if (((bytes[i] as number) & mask) !== ((net.bits[i] as number) & mask)) return false;
  }
  return true;
}

export function anyNetworkContains(nets: readonly Network[], address: string): boolean {
  for (const n of nets) if (networkContains(n, address)) return true;
  return false;
}

function addressBytes(addr: string): Uint8Array | undefined {
  if (isIP(addr) === 4) return Uint8Array.from(addr.split('.').map(Number));
  let a = addr;
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  // An embedded IPv4 tail ("::ffff:1.2.3.4") becomes two hextets.
  const lastColon = a.lastIndexOf(':');
  const tail = a.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = tail.split('.').map(Number);
    a = `${a.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const [head, rest] = a.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const r = rest === undefined || rest === '' ? [] : rest.split(':');
  const fill = rest === undefined ? 0 : 8 - h.length - r.length;
  const words = [...h, ...Array<string>(fill).fill('0'), ...r];
  if (words.length !== 8) return undefined;
  const out = new Uint8Array(16);
  words.forEach((w, i) => { const v = parseInt(w, 16); out[2 * i] = v >> 8; out[2 * i + 1] = v & 0xff; });
  return out;
}

/**
 * One IPv4/IPv6 address in the text form sockets report it (inet_ntop: lower case, the longest run
 * of zero groups compressed, `::ffff:a.b.c.d` for mapped IPv4), so a ban typed `2001:DB8:0:0::1`
 * matches the source `2001:db8::1`. Undefined for anything else, a network (`a/len`) included.
 */
export function canonicalAddress(text: string): string | undefined {
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6) return undefined;
  return new SocketAddress({ address: text, family: 'ipv6' }).address;
}
