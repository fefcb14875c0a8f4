import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, SeededRandom } from '../lib/fake-time.ts';
import { startDnsServer, type DnsTable } from '../../test/support/dns-server.ts';
import { DEFAULT_DNS_OPTIONS, NodeDnsPort, dnsResolverOf } from './dns-resolver.ts';
import { ConfigError, parseConfigText } from './config/load-config.ts';

const TABLE: DnsTable = {
  naptr: {
    'svc.test': [
      { order: 10, preference: 10, flags: 'S', service: 'SIP+D2T', regexp: '', replacement: '_sip._tcp.svc.test' },
      { order: 5, preference: 10, flags: 'S', service: 'SIP+D2U', regexp: '', replacement: '_sip._udp.svc.test' },
      { order: 1, preference: 10, flags: 'S', service: 'SIPS+D2T', regexp: '', replacement: '_sips._tcp.svc.test' },
    ],
  },
  srv: {
    '_sip._udp.svc.test': [{ priority: 20, weight: 0, port: 5072, name: 'b.svc.test' }, { priority: 10, weight: 0, port: 5071, name: 'a.svc.test' }],
    '_sip._tcp.svc.test': [{ priority: 10, weight: 0, port: 5073, name: 'a.svc.test' }],
    '_sips._tcp.svc.test': [{ priority: 10, weight: 0, port: 5061, name: 'a.svc.test' }],
  },
  a: { 'a.svc.test': ['127.0.0.11'], 'b.svc.test': ['127.0.0.12'], 'plain.test': ['127.0.0.13'] },
  aaaa: { 'a.svc.test': ['2001:db8::11'] },
  ttlSec: 30,
};

test('RFC 3263 over node:dns against a loopback DNS server: NAPTR order → SRV priority → A/AAAA; TLS entries skipped (no TLS transport)', async (t) => {
  const dns = await startDnsServer(TABLE);
  t.after(() => dns.close());
  const resolver = dnsResolverOf(new NodeDnsPort({ ...DEFAULT_DNS_OPTIONS, servers: [dns.address], timeoutMs: 1000, tries: 1 }), new SeededRandom(3));
  const got = await resolver.resolve('svc.test', undefined, undefined);
  assert.deepEqual(got.map((x) => `${x.proto}:${x.address}:${x.port}`),
    ['udp:127.0.0.11:5071', 'udp:2001:db8::11:5071', 'udp:127.0.0.12:5072', 'tcp:127.0.0.11:5073', 'tcp:2001:db8::11:5073']);
  assert.ok(dns.queries.includes('NAPTR svc.test'));
  assert.ok(!dns.queries.includes('SRV _sips._tcp.svc.test'), 'SIPS+D2T is discarded before its SRV is asked');
  // §4.2: explicit port → A/AAAA only.
  dns.queries.length = 0;
  assert.deepEqual(await resolver.resolve('plain.test', 5099, 'tcp'), [{ proto: 'tcp', address: '127.0.0.13', port: 5099 }]);
  assert.deepEqual(dns.queries.sort(), ['A plain.test', 'AAAA plain.test']);
  // An unknown name: nothing (the proxy answers the branch 503).
  assert.deepEqual(await resolver.resolve('nowhere.test', undefined, undefined), []);
});

test('the DNS cache keeps answers for their TTL, at most maxCacheTtlMs, remembers "no such name" briefly, and stays within maxCacheEntries', async (t) => {
  const dns = await startDnsServer(TABLE);
  t.after(() => dns.close());
  const clock = new FakeClock();
  const port = new NodeDnsPort({ ...DEFAULT_DNS_OPTIONS, servers: [dns.address], timeoutMs: 1000, tries: 1, maxCacheTtlMs: 10_000, maxCacheEntries: 3 }, clock);
  const burst = await Promise.all([port.a('a.svc.test'), port.a('A.svc.test'), port.a('a.svc.test')]);
  assert.deepEqual(burst, [['127.0.0.11'], ['127.0.0.11'], ['127.0.0.11']]);
  assert.equal(dns.queries.filter((q) => q === 'A a.svc.test').length, 1, 'a burst asks once');
  assert.deepEqual(await port.a('a.svc.test'), ['127.0.0.11']);
  assert.equal(dns.queries.filter((q) => q === 'A a.svc.test').length, 1, 'the next answer came from the cache');
  clock.advance(10_000); // TTL is 30 s, the cap 10 s
  await port.a('a.svc.test');
  assert.equal(dns.queries.filter((q) => q === 'A a.svc.test').length, 2, 'asked again after maxCacheTtlMs');
  assert.deepEqual(await port.srv('_sip._udp.nowhere.test'), []);
  assert.deepEqual(await port.srv('_sip._udp.nowhere.test'), []);
  assert.equal(dns.queries.filter((q) => q === 'SRV _sip._udp.nowhere.test').length, 1, 'NXDOMAIN cached');
  clock.advance(5000);
  await port.srv('_sip._udp.nowhere.test');
  assert.equal(dns.queries.filter((q) => q === 'SRV _sip._udp.nowhere.test').length, 2, 'negative answers live 5 s');
  await port.a('b.svc.test');
  await port.aaaa('a.svc.test');
  await port.naptr('svc.test');
  assert.equal(port.cacheSize, 3);
});

test('config: sip.dns takes servers as ip, ip:port or [v6]:port, and reports anything else with its path', () => {
  assert.deepEqual(parseConfigText('').sip.dns, { servers: [], timeoutMs: 2000, tries: 2, maxCacheTtlMs: 60_000, maxCacheEntries: 4096 });
  assert.deepEqual(parseConfigText('sip: { dns: { servers: [127.0.0.1:5353, "[::1]:53", 10.0.0.2] } }').sip.dns.servers, ['127.0.0.1:5353', '[::1]:53', '10.0.0.2']);
  try {
    parseConfigText('sip: { dns: { servers: [dns.example, "127.0.0.1:99999"] } }');
    assert.fail('expected a ConfigError');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(e.problems.map((p) => p.path).sort(), ['sip.dns.servers.0', 'sip.dns.servers.1']);
  }
});
