import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatisticsRegistry } from '../../mgmt/statistics.ts';
import { parseMessage } from '../message/index.ts';
import { SipCore } from './sip-core.ts';
import type { SipSource, SipTarget } from './sip-source.ts';
import { receivedParams, responseTarget, viaWithReceived } from './via-routing.ts';

const src: SipSource = { proto: 'udp', remoteAddress: '192.0.2.7', remotePort: 40000, localAddress: '127.0.0.1', localPort: 5060 };

function core() {
  const sent: Array<{ target: SipTarget; text: string }> = [];
  const stats = new StatisticsRegistry();
  const c = new SipCore({
    out: { send: (target, data) => { sent.push({ target, text: data.toString() }); return true; } },
    counters: stats, serverHeader: 'sipcluster test', allow: ['OPTIONS'], supported: ['path'],
  });
  return { c, sent, stats };
}

const req = (method: string, extra = '', via = 'SIP/2.0/UDP pc.example.com:5070;branch=z9hG4bK77;rport') => Buffer.from([
  `${method} sip:bob@example.com SIP/2.0`, `Via: ${via}`, 'Max-Forwards: 70', 'From: <sip:alice@example.com>;tag=a1',
  'To: <sip:bob@example.com>', 'Call-ID: c1@pc', `CSeq: 1 ${method}`, ...(extra === '' ? [] : [extra]), 'Content-Length: 0', '', '',
].join('\r\n'));

test('OPTIONS gets 200 with Allow, Accept, Supported and Server (RFC 3261 §11.2), to the rport source (RFC 3581)', () => {
  const { c, sent, stats } = core();
  c.receive(req('OPTIONS'), src);
  assert.equal(sent.length, 1);
  const r = parseMessage(Buffer.from(sent[0]?.text ?? ''));
  assert.ok(r.ok);
  assert.equal(r.value.status, 200);
  assert.equal(r.value.get('Allow'), 'OPTIONS');
  assert.equal(r.value.get('Accept'), 'application/sdp');
  assert.equal(r.value.get('Supported'), 'path');
  assert.equal(r.value.get('Server'), 'sipcluster test');
  assert.ok(r.value.to.tag !== undefined, 'a final response carries a To tag');
  assert.deepEqual(sent[0]?.target, { proto: 'udp', address: '192.0.2.7', port: 40000, localAddress: src.localAddress, localPort: src.localPort });
  assert.equal(stats.get(['core:rcv_requests', 'sl:2xx_replies'])['sl:2xx_replies'], 1);
});

test('anything else gets 501 (§8.2.1); ACK is absorbed', () => {
  const { c, sent } = core();
  c.receive(req('INVITE'), src);
  c.receive(req('ACK'), src);
  assert.equal(sent.length, 1);
  assert.match(sent[0]?.text ?? '', /^SIP\/2\.0 501 Not Implemented\r\n/);
});

test('a malformed request with a readable Via gets 400 with the reason; garbage is dropped and counted', () => {
  const { c, sent, stats } = core();
  c.receive(Buffer.from(req('OPTIONS').toString().replace('CSeq: 1 OPTIONS', 'CSeq: x OPTIONS')), src);
  assert.equal(sent.length, 1);
  assert.match(sent[0]?.text ?? '', /^SIP\/2\.0 400 Bad Request \(/);
  assert.match(sent[0]?.text ?? '', /\r\nVia: SIP\/2\.0\/UDP pc\.example\.com:5070;branch=z9hG4bK77;rport\r\n/);
  c.receive(Buffer.from('\x00\x01garbage\r\n\r\n'), src);
  c.receive(Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1\r\n\r\n'), src);
  assert.equal(sent.length, 1);
  const s = stats.get(['all']);
  assert.equal(s['sip:dropped_malformed'], 2);
  assert.equal(s['core:bad_msg_hdr'], 3);
});

test('a stray response is dropped and counted by a stateless node', () => {
  const { c, sent, stats } = core();
  c.receive(Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n'), src);
  assert.equal(sent.length, 0);
  assert.equal(stats.get(['core:drop_replies'])['core:drop_replies'], 1);
});

test('a version other than SIP/2.0 gets 505 (RFC 4475 badvers)', () => {
  const { c, sent } = core();
  c.receive(Buffer.from(req('OPTIONS').toString().replace('sip:bob@example.com SIP/2.0', 'sip:bob@example.com SIP/7.0')), src);
  assert.match(sent[0]?.text ?? '', /^SIP\/2\.0 505 /);
});

test('§18.2.1 received/rport and §18.2.2 response targets', () => {
  const via = (s: string) => { const m = parseMessage(req('OPTIONS', '', s)); assert.ok(m.ok); return m.value.topVia; };
  assert.deepEqual(receivedParams(via('SIP/2.0/UDP pc.example.com;branch=z9hG4bK1'), src), { received: '192.0.2.7', rport: undefined });
  assert.deepEqual(receivedParams(via('SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1'), src), { received: undefined, rport: undefined });
  const withRport = receivedParams(via('SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1;rport'), src);
  assert.deepEqual(withRport, { received: '192.0.2.7', rport: 40000 });
  assert.equal(viaWithReceived(via('SIP/2.0/UDP 192.0.2.7:5060;rport;branch=z9hG4bK1'), withRport),
    'SIP/2.0/UDP 192.0.2.7:5060;rport=40000;branch=z9hG4bK1;received=192.0.2.7');
  // RFC 3581 §4: over UDP from the listener the request arrived on (the target names it).
  const from = { localAddress: src.localAddress, localPort: src.localPort };
  assert.deepEqual(responseTarget(via('SIP/2.0/UDP pc.example.com:5070;branch=z9hG4bK1'), src), { proto: 'udp', address: '192.0.2.7', port: 5070, ...from });
  // received/rport values the sender wrote itself do not steer the response (a reflection): the packet's source does.
  assert.deepEqual(responseTarget(via('SIP/2.0/UDP pc.example.com;branch=z9hG4bK1;received=198.51.100.1'), src), { proto: 'udp', address: '192.0.2.7', port: 5060, ...from });
  assert.deepEqual(responseTarget(via('SIP/2.0/UDP pc.example.com;branch=z9hG4bK1;received=198.51.100.1;rport=7777'), src), { proto: 'udp', address: '192.0.2.7', port: 40000, ...from });
  const claimed = receivedParams(via('SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1;received=6.6.6.6;rport=7777'), src);
  assert.deepEqual(claimed, { received: '192.0.2.7', rport: 40000 });
  assert.equal(viaWithReceived(via('SIP/2.0/UDP 192.0.2.7:5060;received=6.6.6.6;rport=7777;branch=z9hG4bK1'), claimed),
    'SIP/2.0/UDP 192.0.2.7:5060;rport=40000;branch=z9hG4bK1;received=192.0.2.7', 'the claimed values are replaced');
  assert.deepEqual(responseTarget(via('SIP/2.0/UDP pc.example.com;branch=z9hG4bK1;maddr=239.1.1.1'), src), { proto: 'udp', address: '239.1.1.1', port: 5060, ...from });
  // §18.2.2: the request's connection first; if it closed, the source address at the sent-by port (or the default).
  assert.deepEqual(responseTarget(via('SIP/2.0/TCP pc.example.com;branch=z9hG4bK1'), { ...src, proto: 'tcp', connectionId: 9 }),
    { proto: 'tcp', address: '192.0.2.7', port: 5060, connectionId: 9 });
  assert.deepEqual(responseTarget(via('SIP/2.0/TCP pc.example.com:5090;branch=z9hG4bK1'), { ...src, proto: 'tcp', connectionId: 9 }),
    { proto: 'tcp', address: '192.0.2.7', port: 5090, connectionId: 9 });
});

test('RFC 3581 §4, §18.2.1: our own responses carry received and the filled-in rport in the top Via; the line\'s other values follow as received', () => {
  const { c, sent } = core();
  c.receive(req('OPTIONS', '', 'SIP/2.0/UDP pc.example.com:5070;branch=z9hG4bK77;rport , SIP/2.0/TCP 10.9.9.9;branch=z9hG4bK2'), src);
  assert.match(sent[0]?.text ?? '',
    /\r\nVia: SIP\/2\.0\/UDP pc\.example\.com:5070;branch=z9hG4bK77;rport=40000;received=192\.0\.2\.7, SIP\/2\.0\/TCP 10\.9\.9\.9;branch=z9hG4bK2\r\n/);
  const r = parseMessage(Buffer.from(sent[0]?.text ?? ''));
  assert.ok(r.ok);
  assert.equal(r.value.topVia.rport, 40000);
  // Sent-by equal to the source and no rport: the Via is copied byte for byte.
  c.receive(req('OPTIONS', '', 'SIP/2.0/UDP 192.0.2.7:40000;branch=z9hG4bK78'), src);
  assert.match(sent[1]?.text ?? '', /\r\nVia: SIP\/2\.0\/UDP 192\.0\.2\.7:40000;branch=z9hG4bK78\r\n/);
});

test('§18.2.2: a maddr IPv6 reference is sent to without its brackets; a malformed received or maddr never becomes a target (the request is refused)', () => {
  const from = { localAddress: src.localAddress, localPort: src.localPort };
  const m = parseMessage(req('OPTIONS', '', 'SIP/2.0/UDP pc.example.com;branch=z9hG4bK1;maddr=[2001:db8::7]'));
  assert.ok(m.ok);
  assert.deepEqual(responseTarget(m.value.topVia, src), { proto: 'udp', address: '2001:db8::7', port: 5060, ...from });
  for (const p of ['received=evil.example', 'received=192.0.2.1:5060', 'maddr=a:b', 'maddr=[zz]']) {
    assert.equal(parseMessage(req('OPTIONS', '', `SIP/2.0/UDP pc.example.com;branch=z9hG4bK1;${p}`)).ok, false, p);
  }
});

test('§18.2.1 received from a link-local IPv6 source is written without its zone (via-received = IPv6address has none), so the Via still parses', () => {
  const m = parseMessage(req('OPTIONS', '', 'SIP/2.0/UDP [fe80::1]:5060;branch=z9hG4bK1;rport'));
  assert.ok(m.ok);
  const linkLocal = { ...src, remoteAddress: 'fe80::1%eth0' };
  const text = viaWithReceived(m.value.topVia, receivedParams(m.value.topVia, linkLocal));
  assert.match(text, /;received=fe80::1$/);
  const back = parseMessage(req('OPTIONS', '', text));
  assert.ok(back.ok, 'the completed Via parses');
  // The response still goes to the scoped address: the zone picks the interface.
  assert.equal(responseTarget(m.value.topVia, linkLocal).address, 'fe80::1%eth0');
});
