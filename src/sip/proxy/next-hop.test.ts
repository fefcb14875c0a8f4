import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextHopOf } from './next-hop.ts';
import { harness, isReq, isRes, only, request } from '../../../test/support/proxy-harness.ts';

test('next hop: a URI maddr is the destination (RFC 3261 §19.1.1), an IPv4 address, an IPv6 reference without brackets, or a name to resolve', () => {
  assert.deepEqual(nextHopOf('sip:bob@example.com;maddr=192.0.2.7'), { kind: 'target', target: { proto: 'udp', address: '192.0.2.7', port: 5060 } });
  assert.deepEqual(nextHopOf('sip:bob@example.com:5070;maddr=[2001:db8::7];transport=tcp'), { kind: 'target', target: { proto: 'tcp', address: '2001:db8::7', port: 5070 } });
  assert.deepEqual(nextHopOf('sip:bob@192.0.2.1;maddr=proxy.example.com.;ttl=16'), { kind: 'resolve', host: 'proxy.example.com.', port: undefined, proto: undefined });
  assert.deepEqual(nextHopOf('sip:bob@192.0.2.1;ttl=0'), { kind: 'target', target: { proto: 'udp', address: '192.0.2.1', port: 5060 } });
});

test('next hop: a maddr that is no host (RFC 3261 §25.1 maddr-param = "maddr=" host) or a ttl outside 1*3DIGIT 0–255 makes the URI unroutable, never a destination', () => {
  for (const bad of ['maddr=256.0.0.1', 'maddr=192.0.2.7:5060', 'maddr=2001:db8::7', 'maddr=[2001:db8::7', 'maddr=[zz]', 'maddr=[::1]x', 'maddr=-evil.example',
    'maddr=a..b', 'maddr=1.2.3', 'maddr=', 'maddr', 'maddr=%31%32%37.0.0.1', 'maddr=evil.example_', 'maddr=192.0.2.7;maddr=evil.example.',
    'ttl=256', 'ttl=1000', 'ttl=-1', 'ttl=', 'ttl', 'ttl=1a', 'ttl=0x1']) {
    assert.deepEqual(nextHopOf(`sip:bob@192.0.2.1;${bad}`), { kind: 'error', code: 'SIP_PROXY_UNROUTABLE_URI' }, bad);
  }
});

test('a relayed INVITE whose Request-URI maddr is malformed is sent nowhere: the caller gets 503 (the branch is unroutable)', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay(); };
  h.recv(request({ uri: 'sip:bob@192.0.2.20;maddr=127.0.0.1:6379' }));
  const out = h.take();
  assert.equal(out.filter((s) => isReq('INVITE')(s.msg)).length, 0);
  assert.equal(only(out, isRes(503)).msg.status, 503);
});
