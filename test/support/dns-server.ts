/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP) for RFC 3263 tests: it answers NAPTR, SRV, A
 * and AAAA questions from a table (RFC 1035 §4.1 message format, RFC 2782 SRV and RFC 3403 NAPTR
 * RDATA), NXDOMAIN for names it does not know, and an empty answer (NODATA) for a known name
 * without records of the asked type. It records every question, so tests can see what was asked.
 */
import { createSocket, type Socket } from 'node:dgram';

export interface DnsTable {
  naptr?: Record<string, Array<{ order: number; preference: number; flags: string; service: string; regexp: string; replacement: string }>>;
  srv?: Record<string, Array<{ priority: number; weight: number; port: number; name: string }>>;
  a?: Record<string, string[]>;
  aaaa?: Record<string, string[]>;
  /** TTL of every answer, seconds (default 300). */
  ttlSec?: number;
}

export interface DnsServer {
  readonly port: number;
  /** Questions seen, as "TYPE name". */
  readonly queries: string[];
  /** `127.0.0.1:<port>`, for `sip.dns.servers`. */
  readonly address: string;
  close(): Promise<void>;
}

const TYPES: Record<number, keyof Omit<DnsTable, 'ttlSec'>> = { 1: 'a', 28: 'aaaa', 33: 'srv', 35: 'naptr' };
const TYPE_NAMES: Record<number, string> = { 1: 'A', 28: 'AAAA', 33: 'SRV', 35: 'NAPTR' };

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter((p) => p !== '');
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'ascii')])), Buffer.from([0])]);
}

function charString(s: string): Buffer {
  return Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'ascii')]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function ipv6Bytes(s: string): Buffer {
  const [head = '', tail] = s.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.concat(groups.map((g) => u16(parseInt(g, 16))));
}

function rdata(kind: keyof Omit<DnsTable, 'ttlSec'>, r: unknown): Buffer {
  switch (kind) {
    case 'a': return Buffer.from((r as string).split('.').map(Number));
    case 'aaaa': return ipv6Bytes(r as string);
    case 'srv': {
      const s = r as { priority: number; weight: number; port: number; name: string };
      return Buffer.concat([u16(s.priority), u16(s.weight), u16(s.port), encodeName(s.name)]);
    }
    case 'naptr': {
      const n = r as { order: number; preference: number; flags: string; service: string; regexp: string; replacement: string };
      return Buffer.concat([u16(n.order), u16(n.preference), charString(n.flags), charString(n.service), charString(n.regexp), encodeName(n.replacement)]);
    }
  }
}

/** The question of a query: name, type and where the question section ends; undefined if malformed. */
function question(msg: Buffer): { name: string; type: number; end: number } | undefined {
  if (msg.length < 12 || msg.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let i = 12;
  while (i < msg.length) {
    const len = msg[i] ?? 0;
    if (len === 0) { i++; break; }
    if (len > 63 || i + 1 + len > msg.length) return undefined;
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('ascii'));
    i += 1 + len;
  }
  if (i + 4 > msg.length) return undefined;
  return { name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(i), end: i + 4 };
}

function answer(msg: Buffer, table: DnsTable, queries: string[]): Buffer | undefined {
  const q = question(msg);
  if (q === undefined) return undefined;
  queries.push(`${TYPE_NAMES[q.type] ?? String(q.type)} ${q.name}`);
  const known = (['a', 'aaaa', 'srv', 'naptr'] as const).some((k) => table[k]?.[q.name] !== undefined);
  const kind = TYPES[q.type];
  const records: unknown[] = kind === undefined ? [] : (table[kind]?.[q.name] ?? []);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(msg.readUInt16BE(0), 0); // id
  header.writeUInt16BE(0x8400 | (msg.readUInt16BE(2) & 0x0100) | (known ? 0 : 3), 2); // QR, AA, RD copied, NXDOMAIN when unknown
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records.length, 6);
  const ttl = Buffer.alloc(4);
  ttl.writeUInt32BE(table.ttlSec ?? 300);
  const answers = records.map((r) => {
    const d = rdata(kind as keyof Omit<DnsTable, 'ttlSec'>, r);
    return Buffer.concat([Buffer.from([0xc0, 0x0c]), u16(q.type), u16(1), ttl, u16(d.length), d]);
  });
  return Buffer.concat([header, msg.subarray(12, q.end), ...answers]);
}

export async function startDnsServer(table: DnsTable): Promise<DnsServer> {
  const sock: Socket = createSocket('udp4');
  const queries: string[] = [];
  sock.on('message', (msg, rinfo) => {
    const res = answer(msg, table, queries);
    if (res !== undefined) sock.send(res, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => { sock.once('error', reject); sock.bind(0, '127.0.0.1', () => resolve()); });
  const port = sock.address().port;
  return {
    port, queries, address: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}
