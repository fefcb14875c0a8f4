import { z } from 'zod';
import { isIP } from 'node:net';
import { bytes, durationMs, host, port, positiveMs } from './schema-common.ts';

/** `ip`, `ip:port` or `[v6]:port`, as node:dns Resolver.setServers() accepts them. */
export function isDnsServer(s: string): boolean {
  if (isIP(s) !== 0) return true;
  const v6 = /^\[([^\]]+)\]:(\d{1,5})$/.exec(s);
  if (v6 !== null) return isIP(v6[1] ?? '') === 6 && Number(v6[2]) <= 65535;
  const colon = s.lastIndexOf(':');
  const p = s.slice(colon + 1);
  return colon > 0 && isIP(s.slice(0, colon)) === 4 && /^\d{1,5}$/.test(p) && Number(p) <= 65535;
}

/** A SIP listener: `{ proto: udp, host: 127.0.0.1, port: 5060 }`. */
export const sipListenerSchema = z.strictObject({
  proto: z.enum(['udp', 'tcp']),
  host,
  port,
  /** Address written into Via/Record-Route when it differs from the bound one (NAT, 0.0.0.0). */
  advertise: z.string().min(1).optional(),
});

export const sipSchema = z.strictObject({
  /**
   * The node's listeners, in order. Over UDP a response leaves from the listener its request came
   * in on (RFC 3581 §4), a forwarded request from the one its Via names: the listener it came in on
   * when of the destination's family, else the first of the transport and family (OpenSIPS
   * get_send_socket). A 0.0.0.0 or :: listener sends from its port, but the kernel picks the source
   * address (Node has no IP_PKTINFO): on a multi-homed host list each address, as OpenSIPS advises.
   */
  listen: z.array(sipListenerSchema).min(1).default([{ proto: 'udp', host: '127.0.0.1', port: 5060 }]),
  /** Value of the Server header in the replies this node writes itself (no User-Agent is written). */
  serverHeader: z.string().min(1).default('sipcluster'),
  maxMessageBytes: bytes.max(65535).default(65535),
  tcp: z.strictObject({
    idleTimeoutMs: durationMs.default(120_000),
    maxConnections: z.number().int().min(1).default(4096),
    maxBufferedBytesPerConnection: bytes.default(262_144),
    /** A message not whole within this of its first bytes closes its connection (OpenSIPS tcp_max_msg_time); 0: no limit. */
    maxMessageTimeMs: durationMs.default(4000),
  }).prefault({}),
  /**
   * RFC 3263 server location for host names in next-hop URIs (NAPTR → SRV → A/AAAA, failover along
   * the list). `servers` empty: the system's DNS for NAPTR/SRV and getaddrinfo (/etc/hosts) for addresses.
   */
  dns: z.strictObject({
    /** `ip`, `ip:port` or `[v6]:port`. */
    servers: z.array(z.string().refine(isDnsServer, 'expected ip, ip:port or [ipv6]:port')).default([]),
    timeoutMs: positiveMs.default(2000),
    tries: z.number().int().min(1).max(5).default(2),
    /** Answers are kept for their TTL, never longer than this (NAPTR/SRV, whose TTL Node does not give: this long). */
    maxCacheTtlMs: durationMs.default(60_000),
    maxCacheEntries: z.number().int().min(0).default(4096),
  }).prefault({}),
  /** RFC 3261 §18.1.1: send requests larger than MTU-200 over TCP. Off, as OpenSIPS/Kamailio. */
  udpToTcpOnLargeRequests: z.boolean().default(false),
  /**
   * UDP sockets: `native` (native/sip-udp.c: recvmmsg/sendmmsg, a JavaScript call per batch), `dgram`
   * (node:dgram), `auto` (native when built, else dgram). src/sip/transport/native-udp.ts.
   */
  udpEngine: z.enum(['auto', 'native', 'dgram']).default('auto'),
}).prefault({});
