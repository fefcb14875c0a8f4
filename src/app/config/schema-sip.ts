import { z } from 'zod';
import { bytes, durationMs, host, port } from './schema-common.ts';

/** A SIP listener: `{ proto: udp, host: 127.0.0.1, port: 5060 }`. */
export const sipListenerSchema = z.strictObject({
  proto: z.enum(['udp', 'tcp']),
  host,
  port,
  /** Address written into Via/Record-Route when it differs from the bound one (NAT, 0.0.0.0). */
  advertise: z.string().min(1).optional(),
});

export const sipSchema = z.strictObject({
  listen: z.array(sipListenerSchema).min(1).default([{ proto: 'udp', host: '127.0.0.1', port: 5060 }]),
  /** Value of the Server/User-Agent header this node writes. */
  serverHeader: z.string().min(1).default('sipcluster'),
  maxMessageBytes: bytes.max(65535).default(65535),
  tcp: z.strictObject({
    idleTimeoutMs: durationMs.default(120_000),
    maxConnections: z.number().int().min(1).default(4096),
    maxBufferedBytesPerConnection: bytes.default(262_144),
  }).prefault({}),
  /** RFC 3261 §18.1.1: send requests larger than MTU-200 over TCP. Off, as OpenSIPS/Kamailio. */
  udpToTcpOnLargeRequests: z.boolean().default(false),
}).prefault({});
