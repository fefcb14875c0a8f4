import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, type SipMessage } from '../message/index.ts';
import { aliasedContactValue, formatAlias, parseAlias, ruriAliasRoute, type AliasSource } from './contact-alias.ts';

function msg(contact: string | null, firstLine = 'INVITE sip:bob@example.com SIP/2.0'): SipMessage {
  const text = [
    firstLine,
    'Via: SIP/2.0/UDP 192.168.1.5:5062;branch=z9hG4bKal1;rport',
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a1',
    'To: <sip:bob@example.com>',
    'Call-ID: alias-1',
    'CSeq: 1 INVITE',
    ...(contact === null ? [] : [`Contact: ${contact}`]),
    'Content-Length: 0', '', '',
  ].join('\r\n');
  const r = parseMessage(Buffer.from(text), { framing: 'datagram' });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

const NATED: AliasSource = { address: '203.0.113.7', port: 40000, proto: 'udp' };

test('add_contact_alias: ;alias=<ip>~<port>~<proto> right after the Contact host:port (Kamailio), proto by enum sip_protos (1 UDP, 2 TCP)', () => {
  assert.equal(aliasedContactValue(msg('"Alice" <sip:alice@192.168.1.5:5062;transport=udp>;expires=60'), NATED),
    '"Alice" <sip:alice@192.168.1.5:5062;alias=203.0.113.7~40000~1;transport=udp>;expires=60');
  assert.equal(aliasedContactValue(msg('<sip:alice@192.168.1.5:5062;transport=tcp;ob>'), { ...NATED, proto: 'tcp' }),
    '<sip:alice@192.168.1.5:5062;alias=203.0.113.7~40000~2;transport=tcp;ob>');
  // An IPv6 source is written in brackets; a Contact without port or user, and URI headers, are kept.
  assert.equal(aliasedContactValue(msg('<sip:[fd00::5];ob?X-A=1>'), { address: '2001:db8::7', port: 5070, proto: 'tcp' }),
    '<sip:[fd00::5];alias=[2001:db8::7]~5070~2;ob?X-A=1>');
  // A bare addr-spec gets the brackets: what follows it is header parameters (RFC 3261 §20.10).
  assert.equal(aliasedContactValue(msg('sip:alice@192.168.1.5:5062;expires=60'), NATED), '<sip:alice@192.168.1.5:5062;alias=203.0.113.7~40000~1>;expires=60');
  // Only the first Contact value gets it.
  assert.equal(aliasedContactValue(msg('<sip:a@192.168.1.5>, <sip:b@192.168.1.6>;q=0.5'), NATED), '<sip:a@192.168.1.5;alias=203.0.113.7~40000~1>, <sip:b@192.168.1.6>;q=0.5');
  // A host name never equals the source (Kamailio compares IP addresses only).
  assert.equal(aliasedContactValue(msg('<sip:alice@ua.example.com:40000>'), NATED), '<sip:alice@ua.example.com:40000;alias=203.0.113.7~40000~1>');
});

test('add_contact_alias adds nothing when the Contact already names the source (port 5060 and UDP when absent), and differing port or transport is enough', () => {
  assert.equal(aliasedContactValue(msg('<sip:alice@203.0.113.7:40000>'), NATED), undefined);
  assert.equal(aliasedContactValue(msg('<sip:alice@203.0.113.7:40000;transport=UDP>'), NATED), undefined);
  assert.equal(aliasedContactValue(msg('<sip:alice@203.0.113.7>'), { ...NATED, port: 5060 }), undefined);
  assert.equal(aliasedContactValue(msg('<sip:alice@[2001:DB8::7]:5070;transport=tcp>'), { address: '2001:db8::7', port: 5070, proto: 'tcp' }), undefined);
  assert.equal(aliasedContactValue(msg('<sip:alice@203.0.113.7:40001>'), NATED), '<sip:alice@203.0.113.7:40001;alias=203.0.113.7~40000~1>');
  assert.equal(aliasedContactValue(msg('<sip:alice@203.0.113.7:40000>'), { ...NATED, proto: 'tcp' }), '<sip:alice@203.0.113.7:40000;alias=203.0.113.7~40000~2>');
  assert.equal(aliasedContactValue(msg('<sips:alice@203.0.113.7:40000>'), NATED), '<sips:alice@203.0.113.7:40000;alias=203.0.113.7~40000~1>', 'sips: is TLS');
});

test('add_contact_alias: nothing for no Contact, `*`, a non-SIP URI, a Contact that has an alias already, or a source that is no address', () => {
  assert.equal(aliasedContactValue(msg(null), NATED), undefined);
  assert.equal(aliasedContactValue(msg('*', 'REGISTER sip:example.com SIP/2.0'), NATED), undefined);
  assert.equal(aliasedContactValue(msg('<tel:+15551234>'), NATED), undefined);
  assert.equal(aliasedContactValue(msg('<sip:alice@192.168.1.5:5062;alias=198.51.100.1~5060~1>'), NATED), undefined);
  assert.equal(aliasedContactValue(msg('<sip:alice@192.168.1.5:5062;ALIAS=198.51.100.1~5060~1>'), NATED), undefined, 'parameter names ignore case (§7.3.1)');
  assert.equal(aliasedContactValue(msg('<sip:alice@192.168.1.5>'), { ...NATED, address: 'nat.example.com' }), undefined);
  assert.equal(aliasedContactValue(msg('<sip:alice@192.168.1.5>'), { ...NATED, port: 0 }), undefined);
});

test('alias values: written and read back; malformed ones (no address, bad port, proto outside 1–6, extra text) are refused', () => {
  assert.equal(formatAlias({ address: '[2001:db8::7]', port: 5061, proto: 'tls' }), '[2001:db8::7]~5061~3');
  assert.deepEqual(parseAlias('203.0.113.7~40000~1'), { address: '203.0.113.7', port: 40000, transport: 'udp' });
  assert.deepEqual(parseAlias('[2001:db8::7]~5070~2'), { address: '2001:db8::7', port: 5070, transport: 'tcp' });
  // Kamailio's add_contact_alias(ip, port, proto) writes an IPv6 argument as given, without brackets.
  assert.deepEqual(parseAlias('2001:db8::7~5070~6'), { address: '2001:db8::7', port: 5070, transport: 'wss' });
  for (const bad of ['', '203.0.113.7', '203.0.113.7~40000', '203.0.113.7~40000~', '203.0.113.7~40000~0', '203.0.113.7~40000~7',
    '203.0.113.7~40000~12', '203.0.113.7~0~1', '203.0.113.7~65536~1', '203.0.113.7~-1~1', '203.0.113.7~5o60~1', '203.0.113.7~~1',
    '256.0.0.1~5060~1', 'pbx.example.com~5060~1', '~5060~1', '[203.0.113.7]~5060~1', '[2001:db8::7~5060~1', '203.0.113.7~5060~1~1', '203.0.113.7~5060~u']) {
    assert.equal(parseAlias(bad), undefined, bad);
  }
});

test('handle_ruri_alias: $du from the alias (;transport= unless UDP), the R-URI without it, other parameters and headers as written', () => {
  assert.deepEqual(ruriAliasRoute('sip:alice@192.168.1.5:5062;alias=203.0.113.7~40000~1;transport=udp'),
    { requestUri: 'sip:alice@192.168.1.5:5062;transport=udp', destination: 'sip:203.0.113.7:40000' });
  assert.deepEqual(ruriAliasRoute('sip:alice@192.168.1.5:5062;ob;alias=203.0.113.7~40000~2?X-A=1'),
    { requestUri: 'sip:alice@192.168.1.5:5062;ob?X-A=1', destination: 'sip:203.0.113.7:40000;transport=tcp' });
  assert.deepEqual(ruriAliasRoute('sip:[fd00::5];alias=[2001:db8::7]~5061~3'), { requestUri: 'sip:[fd00::5]', destination: 'sip:[2001:db8::7]:5061;transport=tls' });
  assert.deepEqual(ruriAliasRoute('sip:alice@192.168.1.5;alias=2001:db8::7~5060~4'), { requestUri: 'sip:alice@192.168.1.5', destination: 'sip:[2001:db8::7]:5060;transport=sctp' });
  // WS and WSS are both `transport=ws` (RFC 7118 §5.2).
  assert.equal(ruriAliasRoute('sip:a@192.168.1.5;alias=203.0.113.7~443~6')?.destination, 'sip:203.0.113.7:443;transport=ws');
  assert.equal(ruriAliasRoute('sip:a@192.168.1.5;alias=203.0.113.7~80~5')?.destination, 'sip:203.0.113.7:80;transport=ws');
});

test('handle_ruri_alias: a Request-URI with two alias parameters (any case, the second malformed or not) is refused, neither used nor left to the next hop (RFC 3261 §19.1.1; Kamailio takes the first and forwards the other)', () => {
  for (const uri of ['sip:a@192.168.1.5;alias=203.0.113.7~40000~1;alias=198.51.100.1~5060~1', 'sip:a@192.168.1.5;alias=203.0.113.7~40000~1;ob;ALIAS=198.51.100.1~5060~1',
    'sip:a@192.168.1.5;alias=203.0.113.7~40000~1;alias', 'sip:a@192.168.1.5;alias=203.0.113.7~40000~1;alias=x', 'sip:a@192.168.1.5;alias=203.0.113.7~40000~1;Alias=203.0.113.7~40000~1']) {
    assert.equal(ruriAliasRoute(uri), undefined, uri);
  }
});

test('handle_ruri_alias: nothing for a Request-URI without an alias or with a malformed one, never an exception', () => {
  for (const uri of ['sip:alice@192.168.1.5:5062', 'sip:alice@192.168.1.5;transport=tcp', 'tel:+15551234', 'sip:alice@192.168.1.5;aliasx=203.0.113.7~40000~1',
    'sip:a@192.168.1.5;alias', 'sip:a@192.168.1.5;alias=', 'sip:a@192.168.1.5;alias=203.0.113.7~40000', 'sip:a@192.168.1.5;alias=203.0.113.7~40000~9',
    'sip:a@192.168.1.5;alias=pbx.example.com~5060~1', 'sip:a@192.168.1.5;alias=203.0.113.7~99999~1', 'not a uri', '']) {
    assert.equal(ruriAliasRoute(uri), undefined, uri);
  }
});

test('handle_ruri_alias: a sips Request-URI never gets a plain sip destination (RFC 3261 §26.2.2: TLS on every hop; next-hop.ts refuses rather than downgrade)', () => {
  // The alias is what the peer wrote: `~1` would otherwise send a sips request over UDP.
  for (const uri of ['sips:alice@192.168.1.5:5062;alias=203.0.113.7~40000~1', 'sips:alice@192.168.1.5;alias=203.0.113.7~40000~2',
    'sips:alice@192.168.1.5;alias=203.0.113.7~40000~4', 'sips:alice@192.168.1.5;alias=203.0.113.7~80~5']) {
    assert.equal(ruriAliasRoute(uri), undefined, uri);
  }
  // Over TLS (or WSS) the alias keeps the scheme: the destination is sips, which needs TLS too.
  assert.deepEqual(ruriAliasRoute('sips:alice@192.168.1.5:5062;alias=203.0.113.7~40000~3'),
    { requestUri: 'sips:alice@192.168.1.5:5062', destination: 'sips:203.0.113.7:40000' });
  assert.deepEqual(ruriAliasRoute('sips:alice@192.168.1.5;alias=[2001:db8::7]~443~6'),
    { requestUri: 'sips:alice@192.168.1.5', destination: 'sips:[2001:db8::7]:443;transport=ws' });
});

test('alias values: the unspecified address (0.0.0.0, ::) is refused — no packet comes from it, and a datagram or connection to it reaches this host (Linux), past a script screening loopback by 127/8 and ::1', () => {
  for (const bad of ['0.0.0.0~5060~1', '0.0.0.0~6379~2', '[::]~5060~1', '::~5060~2', '[0:0:0:0:0:0:0:0]~5060~1', '[::0.0.0.0]~5060~1']) {
    assert.equal(parseAlias(bad), undefined, bad);
  }
  assert.equal(ruriAliasRoute('sip:alice@192.168.1.5:5062;alias=0.0.0.0~5060~1'), undefined);
  // Nor is one written for such a source.
  assert.equal(formatAlias({ address: '0.0.0.0', port: 5060, proto: 'udp' }), undefined);
  assert.deepEqual(parseAlias('0.0.0.1~5060~1'), { address: '0.0.0.1', port: 5060, transport: 'udp' });
});

test('alias values: an IPv4-mapped IPv6 address (any text of ::ffff:a.b.c.d, and the deprecated ::a.b.c.d) and IPv4 with a leading zero are refused — no source is written so (listeners are IPv6-only), they only dodge a script screening the address', () => {
  for (const bad of ['[::ffff:127.0.0.1]~5060~1', '::ffff:127.0.0.1~5060~1', '[::FFFF:7f00:1]~5060~2', '[0:0:0:0:0:ffff:127.0.0.1]~5060~1', '[::ffff:10.0.0.1]~5060~1',
    '[::127.0.0.1]~5060~1', '01.2.3.4~5060~1', '127.0.0.01~5060~1', '010.0.0.1~5060~2', '127.000.0.1~5060~1', '00.0.0.1~5060~1',
    '[2001:db8::01.2.3.4]~5060~1', '[1:2:3]~5060~1', '1:2:3~5060~1']) {
    assert.equal(parseAlias(bad), undefined, bad);
  }
  assert.equal(ruriAliasRoute('sip:alice@192.168.1.5:5062;alias=[::ffff:127.0.0.1]~5060~1'), undefined);
  assert.equal(ruriAliasRoute('sip:alice@192.168.1.5:5062;alias=0127.0.0.1~5060~1'), undefined);
  // A single zero is a zero, and an IPv6 address that only ends in ffff is no mapped one.
  assert.deepEqual(parseAlias('10.0.0.1~5060~1'), { address: '10.0.0.1', port: 5060, transport: 'udp' });
  assert.deepEqual(parseAlias('[2001:db8::ffff:7f00:1]~5060~1'), { address: '2001:db8::ffff:7f00:1', port: 5060, transport: 'udp' });
  assert.deepEqual(parseAlias('[2001:db8::1.2.3.4]~5060~1'), { address: '2001:db8::1.2.3.4', port: 5060, transport: 'udp' });
});
