import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../lib/fake-time.ts';
import type { Random } from '../../lib/time.ts';
import {
  isLocalName, locateServer, orderSrv, MAX_LOCATED_TARGETS, type DnsPort, type LocTransport, type LocateQuery, type NaptrRecord, type SrvRecord,
} from './server-location.ts';

/** A DNS answering from a table, recording every query ("NAPTR example.com"). */
function fakeDns(table: {
  naptr?: Record<string, NaptrRecord[]>; srv?: Record<string, SrvRecord[]>; a?: Record<string, string[]>; aaaa?: Record<string, string[]>;
}): DnsPort & { queries: string[] } {
  const queries: string[] = [];
  return {
    queries,
    naptr: async (n) => { queries.push(`NAPTR ${n}`); return table.naptr?.[n] ?? []; },
    srv: async (n) => { queries.push(`SRV ${n}`); return table.srv?.[n] ?? []; },
    a: async (n) => { queries.push(`A ${n}`); return table.a?.[n] ?? []; },
    aaaa: async (n) => { queries.push(`AAAA ${n}`); return table.aaaa?.[n] ?? []; },
  };
}

const UDP_TCP: ReadonlySet<LocTransport> = new Set(['udp', 'tcp']);
const ALL: ReadonlySet<LocTransport> = new Set(['udp', 'tcp', 'tls']);
const q = (o: Partial<LocateQuery>): LocateQuery => ({ host: 'example.com', supported: UDP_TCP, ...o });
const naptr = (order: number, preference: number, service: string, replacement: string, flags = 's'): NaptrRecord =>
  ({ order, preference, flags, service, regexp: '', replacement });
const srv = (priority: number, weight: number, port: number, name: string): SrvRecord => ({ priority, weight, port, name });
const rnd = (values: number[]): Random => ({ next: () => values.shift() ?? 0, bytes: (n) => new Uint8Array(n) });
const fmt = (ts: Array<{ transport: string; address: string; port: number }>) => ts.map((t) => `${t.transport}:${t.address}:${t.port}`);

test('RFC 3263 §4.2: a numeric host is used as it is, no DNS query; the port defaults to 5060 (5061 for TLS)', async () => {
  const dns = fakeDns({});
  assert.deepEqual(fmt(await locateServer(q({ host: '192.0.2.5' }), dns, rnd([]))), ['udp:192.0.2.5:5060']);
  assert.deepEqual(fmt(await locateServer(q({ host: '[2001:db8::5]', port: 5070, transport: 'tcp' }), dns, rnd([]))), ['tcp:2001:db8::5:5070']);
  assert.deepEqual(fmt(await locateServer(q({ host: '192.0.2.5', secure: true, supported: ALL }), dns, rnd([]))), ['tls:192.0.2.5:5061']);
  assert.deepEqual(dns.queries, []);
});

test('RFC 3263 §4.2: an explicit port skips NAPTR and SRV: A/AAAA of the host with that port, UDP without a transport parameter', async () => {
  const dns = fakeDns({ a: { 'example.com': ['192.0.2.1'] }, aaaa: { 'example.com': ['2001:db8::1'] }, naptr: { 'example.com': [naptr(1, 1, 'SIP+D2T', '_sip._tcp.example.com')] } });
  assert.deepEqual(fmt(await locateServer(q({ port: 5080 }), dns, rnd([]))), ['udp:192.0.2.1:5080', 'udp:2001:db8::1:5080']);
  assert.deepEqual(dns.queries.sort(), ['A example.com', 'AAAA example.com']);
  assert.deepEqual(fmt(await locateServer(q({ port: 5080, transport: 'tcp' }), dns, rnd([]))), ['tcp:192.0.2.1:5080', 'tcp:2001:db8::1:5080']);
});

test('RFC 3263 §4.1: a transport parameter skips NAPTR: SRV of that transport only; without SRV, A/AAAA on the default port', async () => {
  const dns = fakeDns({ srv: { '_sip._tcp.example.com': [srv(10, 0, 5090, 'pbx.example.com')] }, a: { 'pbx.example.com': ['192.0.2.7'], 'example.com': ['192.0.2.1'] } });
  assert.deepEqual(fmt(await locateServer(q({ transport: 'tcp' }), dns, rnd([0]))), ['tcp:192.0.2.7:5090']);
  assert.ok(!dns.queries.some((x) => x.startsWith('NAPTR')), 'no NAPTR query');
  assert.deepEqual(fmt(await locateServer(q({ transport: 'udp' }), dns, rnd([0]))), ['udp:192.0.2.1:5060'], 'no _sip._udp SRV: A record, 5060');
});

test('RFC 3263 §4.1: NAPTR records are followed by order, then preference; other services, non-"s" flags and unsupported transports are discarded', async () => {
  const dns = fakeDns({
    naptr: {
      'example.com': [
        naptr(20, 10, 'SIP+D2T', '_sip._tcp.example.com'),
        naptr(10, 50, 'SIP+D2U', '_sip._udp.example.com'),
        naptr(5, 10, 'SIPS+D2T', '_sips._tcp.example.com'), // no TLS here: discarded
        naptr(1, 1, 'E2U+sip', '!^.*$!sip:x@example.com!', 'u'), // ENUM-style: not a SIP service
        naptr(1, 1, 'SIP+D2U', 'a.example.com', 'a'), // flag "a": not for SRV
      ],
    },
    srv: {
      '_sip._tcp.example.com': [srv(1, 0, 5060, 'tcp.example.com')],
      '_sip._udp.example.com': [srv(1, 0, 5062, 'udp.example.com')],
      '_sips._tcp.example.com': [srv(1, 0, 5061, 'tls.example.com')],
    },
    a: { 'tcp.example.com': ['192.0.2.2'], 'udp.example.com': ['192.0.2.3'], 'tls.example.com': ['192.0.2.4'] },
  });
  assert.deepEqual(fmt(await locateServer(q({}), dns, rnd([]))), ['udp:192.0.2.3:5062', 'tcp:192.0.2.2:5060']);
  assert.ok(!dns.queries.includes('SRV _sips._tcp.example.com'));
  // With TLS supported, SIPS+D2T (order 5) comes first.
  assert.deepEqual(fmt(await locateServer(q({ supported: ALL }), dns, rnd([]))), ['tls:192.0.2.4:5061', 'udp:192.0.2.3:5062', 'tcp:192.0.2.2:5060']);
});

test('RFC 3263 §4.1: a sips URI follows SIPS+D2T only, and gets nothing from a client without TLS', async () => {
  const dns = fakeDns({
    naptr: { 'example.com': [naptr(10, 10, 'SIP+D2U', '_sip._udp.example.com'), naptr(20, 10, 'SIPS+D2T', '_sips._tcp.example.com')] },
    srv: { '_sip._udp.example.com': [srv(1, 0, 5060, 'h.example.com')], '_sips._tcp.example.com': [srv(1, 0, 5061, 'h.example.com')] },
    a: { 'h.example.com': ['192.0.2.9'] },
  });
  assert.deepEqual(fmt(await locateServer(q({ secure: true, supported: ALL }), dns, rnd([]))), ['tls:192.0.2.9:5061']);
  assert.deepEqual(await locateServer(q({ secure: true }), fakeDns({ a: { 'example.com': ['192.0.2.1'] } }), rnd([])), []);
});

test('RFC 3263 §4.1: without NAPTR, SRV for each supported transport; without SRV either, A/AAAA over UDP on 5060', async () => {
  const dns = fakeDns({
    srv: { '_sip._tcp.example.com': [srv(1, 0, 5066, 'h.example.com')] },
    a: { 'h.example.com': ['192.0.2.8'], 'example.com': ['192.0.2.1'] },
  });
  assert.deepEqual(fmt(await locateServer(q({}), dns, rnd([]))), ['tcp:192.0.2.8:5066']);
  assert.deepEqual(dns.queries.filter((x) => x.startsWith('SRV')), ['SRV _sip._udp.example.com', 'SRV _sip._tcp.example.com']);
  assert.deepEqual(fmt(await locateServer(q({ host: 'other.example' }), fakeDns({ a: { 'other.example': ['192.0.2.11', '192.0.2.12'] } }), rnd([]))),
    ['udp:192.0.2.11:5060', 'udp:192.0.2.12:5060']);
});

test('localhost and single-label names skip NAPTR and SRV, even where the DNS has them: A/AAAA only (our rule, RFC 6761 §6.3)', async () => {
  // Records that would be followed for a domain name: they must not even be asked for.
  const dns = fakeDns({
    naptr: { pbx: [naptr(1, 1, 'SIP+D2T', '_sip._tcp.pbx')], localhost: [naptr(1, 1, 'SIP+D2T', '_sip._tcp.localhost')] },
    srv: { '_sip._udp.pbx': [srv(1, 0, 5099, 'far.example.com')], '_sip._tcp.pbx': [srv(1, 0, 5099, 'far.example.com')] },
    a: { localhost: ['127.0.0.1'], 'LOCALHOST.': ['127.0.0.1'], 'edge.localhost': ['127.0.0.1'], pbx: ['192.0.2.20'], 'far.example.com': ['192.0.2.99'] },
    aaaa: { localhost: ['::1'] },
  });
  assert.deepEqual(fmt(await locateServer(q({ host: 'localhost' }), dns, rnd([]))), ['udp:127.0.0.1:5060', 'udp:::1:5060'], 'no transport: UDP on 5060 (§4.1 fallback)');
  assert.deepEqual(fmt(await locateServer(q({ host: 'pbx' }), dns, rnd([]))), ['udp:192.0.2.20:5060']);
  assert.deepEqual(fmt(await locateServer(q({ host: 'pbx', transport: 'tcp' }), dns, rnd([]))), ['tcp:192.0.2.20:5060'], 'a transport parameter: that transport, its default port, no SRV');
  assert.deepEqual(fmt(await locateServer(q({ host: 'pbx', port: 5070 }), dns, rnd([]))), ['udp:192.0.2.20:5070']);
  assert.deepEqual(fmt(await locateServer(q({ host: 'LOCALHOST.' }), dns, rnd([]))), ['udp:127.0.0.1:5060']);
  assert.deepEqual(fmt(await locateServer(q({ host: 'edge.localhost' }), dns, rnd([]))), ['udp:127.0.0.1:5060']);
  assert.deepEqual(fmt(await locateServer(q({ host: 'pbx', secure: true, supported: ALL }), dns, rnd([]))), ['tls:192.0.2.20:5061'], 'sips: TLS on 5061');
  assert.deepEqual(await locateServer(q({ host: 'pbx', secure: true }), dns, rnd([])), [], 'sips without TLS: nothing');
  assert.deepEqual(dns.queries.filter((x) => !x.startsWith('A ') && !x.startsWith('AAAA ')), [], 'no NAPTR or SRV query');
  // A dotted name is still located by NAPTR/SRV.
  const dotted = fakeDns({ srv: { '_sip._udp.pbx.example': [srv(1, 0, 5062, 'h.pbx.example')] }, a: { 'h.pbx.example': ['192.0.2.21'] } });
  assert.deepEqual(fmt(await locateServer(q({ host: 'pbx.example' }), dotted, rnd([0]))), ['udp:192.0.2.21:5062']);
  assert.ok(dotted.queries.includes('NAPTR pbx.example'));
});

test('isLocalName: localhost, names under .localhost and single labels; a trailing dot is no label', () => {
  for (const h of ['localhost', 'LocalHost', 'localhost.', 'a.localhost', 'B.LOCALHOST.', 'pbx', 'pbx.', 'sip-gw1']) assert.equal(isLocalName(h), true, h);
  for (const h of ['example.com', 'example.com.', 'pbx.example', 'localhost.example.com', 'mylocalhost.com']) assert.equal(isLocalName(h), false, h);
});

test('RFC 3263: failed lookups count as empty answers, never as an exception', async () => {
  const failing: DnsPort = {
    naptr: () => Promise.reject(new Error('SERVFAIL')), srv: () => Promise.reject(new Error('SERVFAIL')),
    a: (n) => (n === 'example.com' ? Promise.resolve(['192.0.2.1']) : Promise.reject(new Error('x'))), aaaa: () => Promise.reject(new Error('timeout')),
  };
  assert.deepEqual(fmt(await locateServer(q({}), failing, rnd([]))), ['udp:192.0.2.1:5060']);
});

test('RFC 2782: lower priority first; a target of "." is dropped; weighted choice within a priority, weight 0 first in the running sum', () => {
  const recs = [srv(20, 0, 5060, 'late.example'), srv(10, 10, 5060, 'light.example'), srv(10, 90, 5060, 'heavy.example'), srv(5, 0, 5060, '.')];
  // Sum 100: pick = floor(r·101). r=0.05 → 5 ≤ 10: light; r=0.5 → 50: heavy (light removed, then only light left).
  assert.deepEqual(orderSrv(recs, rnd([0.05, 0])).map((r) => r.name), ['light.example', 'heavy.example', 'late.example']);
  assert.deepEqual(orderSrv(recs, rnd([0.5, 0])).map((r) => r.name), ['heavy.example', 'light.example', 'late.example']);
  // Weight 0 sits first: only a pick of 0 chooses it.
  const zero = [srv(1, 50, 5060, 'w50.example'), srv(1, 0, 5060, 'w0.example')];
  assert.deepEqual(orderSrv(zero, rnd([0])).map((r) => r.name), ['w0.example', 'w50.example']);
  assert.deepEqual(orderSrv(zero, rnd([0.5])).map((r) => r.name), ['w50.example', 'w0.example']);
});

test('RFC 2782: over many draws the first choice follows the weights (90/10 within ±5%)', () => {
  const random = new SeededRandom(42);
  const recs = [srv(1, 10, 5060, 'light.example'), srv(1, 90, 5060, 'heavy.example')];
  let heavy = 0;
  const draws = 2000;
  for (let i = 0; i < draws; i++) if (orderSrv(recs, random)[0]?.name === 'heavy.example') heavy++;
  assert.ok(Math.abs(heavy / draws - 0.9) < 0.05, `heavy first in ${heavy}/${draws}`);
});

test('DNS answers are bounded: at most MAX_LOCATED_TARGETS targets whatever the records say', async () => {
  const many = Array.from({ length: 40 }, (_, i) => srv(1, 1, 5060 + i, `h${i}.example.com`));
  const a: Record<string, string[]> = {};
  for (let i = 0; i < 40; i++) a[`h${i}.example.com`] = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];
  const out = await locateServer(q({ transport: 'udp' }), fakeDns({ srv: { '_sip._udp.example.com': many }, a }), new SeededRandom(1));
  assert.equal(out.length, MAX_LOCATED_TARGETS);
  assert.deepEqual(orderSrv([srv(1, 1, 0, 'a.example'), srv(1, 1, 70000, 'b.example')], rnd([])), [], 'ports out of range are dropped');
});
