import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CALLER, CALLEE_IP, PROXY_IP, harness, isReq, isRes, only, request } from '../../../test/support/proxy-harness.ts';

test('§16.6 forwarding: 100 Trying at once, our Via on top with an RFC 3261 branch, received/rport, Max-Forwards decremented', () => {
  const h = harness();
  h.recv(request());
  const s = h.take();
  const trying = only(s, isRes(100));
  assert.deepEqual(trying.target, { proto: 'udp', address: '192.0.2.10', port: 5060, localAddress: PROXY_IP, localPort: 5060 });
  const fwd = only(s, isReq('INVITE'));
  assert.deepEqual(fwd.target, { proto: 'udp', address: CALLEE_IP, port: 5060 });
  const m = fwd.msg;
  assert.equal(m.uriText, `sip:bob@${CALLEE_IP}`);
  assert.equal(m.maxForwards, 69);
  const vias = m.vias();
  assert.ok(vias.ok);
  assert.equal(vias.value.length, 2);
  assert.equal(vias.value[0]?.host, PROXY_IP);
  assert.match(vias.value[0]?.branch ?? '', /^z9hG4bKsc[0-9a-f]{16}\.[0-9a-f]{8}$/);
  assert.equal(vias.value[1]?.rport, 5060, 'rport filled in (RFC 3581 §4)');
  assert.equal(vias.value[1]?.branch, 'z9hG4bKcaller1');
  assert.equal(m.get('Contact'), '<sip:alice@192.0.2.10:5060>', 'untouched headers copied');
  assert.equal(h.stat('tm:UAS_transactions'), 1);
  assert.equal(h.stat('tm:UAC_transactions'), 1);
  assert.equal(h.stat('core:fwd_requests'), 1);
});

test('§16.6 step 3: a request without Max-Forwards is forwarded with 70', () => {
  const h = harness();
  h.recv(request({ method: 'OPTIONS', mf: null }));
  assert.equal(only(h.take(), isReq('OPTIONS')).msg.maxForwards, 70);
});

test('§16.3 Max-Forwards 0 → 483; an OPTIONS with 0 is answered 200 by the proxy itself', () => {
  const h = harness();
  h.recv(request({ mf: '0' }));
  const s = h.take();
  assert.equal(s.filter((x) => x.msg.isRequest).length, 0, 'not forwarded');
  assert.equal(only(s, (m) => !m.isRequest && m.status >= 200).msg.status, 483);
  h.recv(request({ method: 'OPTIONS', mf: '0' }));
  const o = only(h.take()).msg;
  assert.equal(o.status, 200);
  assert.ok(o.get('Allow')?.includes('INVITE'));
});

test('§16.3 step 4: a request back with our Via and the same loop hash → 482; a spiral (new Request-URI) is forwarded', () => {
  const h = harness();
  h.recv(request({ method: 'MESSAGE' }));
  const fwd = only(h.take(), isReq('MESSAGE')).msg;
  // The next hop sends it back to us unchanged (a loop): its own Via on top of ours.
  const back = fwd.bytes.toString().replace('Via: ', 'Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKhop2\r\nVia: ');
  h.recv(back, { ...CALLER, remoteAddress: CALLEE_IP });
  assert.equal(only(h.take()).msg.status, 482);
  // The same, but the Request-URI was retargeted downstream: a spiral, not a loop.
  const spiral = back.replace(`MESSAGE sip:bob@${CALLEE_IP}`, 'MESSAGE sip:bob@192.0.2.30').replace('z9hG4bKhop2', 'z9hG4bKhop3');
  h.recv(spiral, { ...CALLER, remoteAddress: CALLEE_IP });
  assert.equal(only(h.take(), isReq('MESSAGE')).target.address, '192.0.2.30');
});

test('§16.3 step 4: the loop is found in a message that is not all ASCII (our branch searched in the bytes)', () => {
  const h = harness();
  h.recv(request({ method: 'MESSAGE', headers: ['Subject: Grüße aus Köln'] }));
  const fwd = only(h.take(), isReq('MESSAGE')).msg;
  assert.equal(fwd.headString(), '', 'no header string for a UTF-8 message: the byte search is the one exercised');
  const back = fwd.bytes.toString('utf8').replace('Via: ', 'Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKhop2\r\nVia: ');
  h.recv(back, { ...CALLER, remoteAddress: CALLEE_IP });
  assert.equal(only(h.take()).msg.status, 482);
});

test('§16.3 step 5: an unsupported Proxy-Require → 420 with Unsupported', () => {
  const h = harness();
  h.recv(request({ method: 'OPTIONS', headers: ['Proxy-Require: foo, bar'] }));
  const r = only(h.take()).msg;
  assert.equal(r.status, 420);
  assert.equal(r.get('Unsupported'), 'foo, bar');
});

test('§16.4 our own Route on top is popped and the next loose Route is the next hop', () => {
  const h = harness();
  h.recv(request({ method: 'BYE', toTag: 'b1', headers: [`Route: <sip:${PROXY_IP};lr>, <sip:192.0.2.40:5070;lr>`] }));
  const f = only(h.take(), isReq('BYE'));
  assert.deepEqual(f.target, { proto: 'udp', address: '192.0.2.40', port: 5070 });
  assert.deepEqual(f.msg.getList('Route'), ['<sip:192.0.2.40:5070;lr>']);
  assert.equal(f.msg.uriText, `sip:bob@${CALLEE_IP}`);
});

test('§16.4 a strict router upstream put our Record-Route URI in the Request-URI: it is restored from the last Route', () => {
  const h = harness();
  h.recv(request({ method: 'BYE', toTag: 'b1', uri: `sip:${PROXY_IP};lr`, headers: [`Route: <sip:bob@${CALLEE_IP}:5062>`] }));
  const f = only(h.take(), isReq('BYE'));
  assert.equal(f.msg.uriText, `sip:bob@${CALLEE_IP}:5062`);
  assert.equal(f.msg.has('Route'), false);
  assert.equal(f.target.port, 5062);
});

test('§16.12 strict router next hop: its URI becomes the Request-URI, the old Request-URI goes to the bottom of Route', () => {
  const h = harness();
  let loose: boolean | undefined;
  h.proxy.onRequest = (pr) => { loose = pr.looseRoute(); pr.relay(); };
  h.recv(request({ method: 'BYE', toTag: 'b1', headers: [`Route: <sip:${PROXY_IP};lr>, <sip:192.0.2.50>, <sip:192.0.2.51;lr>`] }));
  const f = only(h.take(), isReq('BYE'));
  assert.equal(loose, true);
  assert.equal(f.msg.uriText, 'sip:192.0.2.50');
  assert.deepEqual(f.msg.getList('Route'), ['<sip:192.0.2.51;lr>', `<sip:bob@${CALLEE_IP}>`]);
  assert.equal(f.target.address, '192.0.2.50');
});

test('§16.6 step 4 Record-Route: one value on the same interface, double record-route when UDP in, TCP out', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.recordRoute(); pr.relay(); };
  h.recv(request());
  assert.deepEqual(only(h.take(), isReq('INVITE')).msg.getList('Record-Route'), [`<sip:${PROXY_IP}:5060;lr>`]);
  h.recv(request({ uri: `sip:bob@${CALLEE_IP};transport=tcp`, callId: 'c2', branch: 'z9hG4bKc2' }));
  const f = only(h.take(), isReq('INVITE'));
  assert.equal(f.target.proto, 'tcp');
  assert.deepEqual(f.msg.getList('Record-Route'), [`<sip:${PROXY_IP}:5060;transport=tcp;lr>`, `<sip:${PROXY_IP}:5060;lr>`]);
  assert.equal(f.msg.topVia.transport, 'TCP');
  // In-dialog, both of our Route values are popped (OpenSIPS rr double route).
  h.proxy.onRequest = undefined;
  h.recv(request({ method: 'BYE', toTag: 'x', callId: 'c2', branch: 'z9hG4bKc3',
    headers: [`Route: <sip:${PROXY_IP}:5060;lr>, <sip:${PROXY_IP}:5060;transport=tcp;lr>`], uri: `sip:bob@${CALLEE_IP};transport=tcp` }));
  const bye = only(h.take(), isReq('BYE'));
  assert.equal(bye.msg.has('Route'), false);
  assert.equal(bye.target.proto, 'tcp');
});

test('$du applies to relay(targets) too: targets without a destination of their own go there, one with its own keeps it', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => {
    pr.setDestination('sip:203.0.113.5:5080');
    pr.relay([{ uri: 'sip:a@192.0.2.61' }, { uri: 'sip:b@192.0.2.62', destination: 'sip:192.0.2.99:5062' }], { parallel: true });
  };
  h.recv(request({ method: 'MESSAGE' }));
  const sent = h.take().filter((x) => x.msg.isRequest && x.msg.method === 'MESSAGE');
  assert.deepEqual(sent.map((x) => [x.msg.uriText, x.target.address, x.target.port]), [
    ['sip:a@192.0.2.61', '203.0.113.5', 5080],
    ['sip:b@192.0.2.62', '192.0.2.99', 5062],
  ]);
});

test('$du (setDestination) overrides Route and Request-URI for sending, not for the message; header edits apply', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => {
    pr.setRequestUri('sip:carol@198.51.100.9');
    pr.setDestination('sip:203.0.113.5:5080;transport=tcp');
    pr.addHeader('X-Test', 'yes');
    pr.removeHeader('Contact');
    pr.relay();
  };
  h.recv(request({ method: 'MESSAGE' }));
  const f = only(h.take(), isReq('MESSAGE'));
  assert.deepEqual(f.target, { proto: 'tcp', address: '203.0.113.5', port: 5080 });
  assert.equal(f.msg.uriText, 'sip:carol@198.51.100.9');
  assert.equal(f.msg.get('X-Test'), 'yes');
  assert.equal(f.msg.has('Contact'), false);
});

test('RFC 3263 (simplified): a host name goes through the Resolver port; no address → local 503', async () => {
  const h = harness({
    resolver: { resolve: async (host) => (host === 'pbx.example.com' ? [{ proto: 'udp', address: '198.51.100.7', port: 5060 }] : []) },
  });
  h.recv(request({ method: 'MESSAGE', uri: 'sip:bob@pbx.example.com' }));
  await new Promise((r) => setImmediate(r));
  assert.equal(only(h.take(), isReq('MESSAGE')).target.address, '198.51.100.7');
  h.recv(request({ method: 'MESSAGE', uri: 'sip:bob@nowhere.example.com', branch: 'z9hG4bKn2' }));
  await new Promise((r) => setImmediate(r));
  assert.equal(only(h.take()).msg.status, 503);
});

test('a request at the parser\'s limits that our Via and Record-Route would push past them gets 513, not a branch we could not CANCEL or ACK', () => {
  const n = request().split('\r\n').length - 3;
  const cases = [
    request({ headers: Array.from({ length: 256 - n }, (_, i) => `X-H${i}: v`) }),
    request({ via: `SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKlong;p=${'x'.repeat(8192 - 80)};rport` }),
  ];
  for (const req of cases) {
    const h = harness();
    h.proxy.onRequest = (pr) => { pr.recordRoute(); pr.relay(); };
    h.recv(req);
    const sent = h.take();
    assert.deepEqual(sent.map((x) => (x.msg.isRequest ? x.msg.method : x.msg.status)), [100, 513]);
  }
});

test('§18.2.1 / RFC 3581: received and rport the sender wrote itself are replaced by what we saw, in the response target and in the forwarded Via', () => {
  const h = harness();
  h.recv(request({ via: 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKr2;received=6.6.6.6;rport=7777' }));
  const s = h.take();
  const trying = only(s, isRes(100));
  assert.deepEqual([trying.target.address, trying.target.port], [CALLER.remoteAddress, CALLER.remotePort]);
  const fwd = only(s, isReq('INVITE')).msg.vias();
  assert.ok(fwd.ok);
  assert.deepEqual([fwd.value[1]?.received, fwd.value[1]?.rport], [CALLER.remoteAddress, CALLER.remotePort]);
  assert.equal(fwd.value[1]?.params.filter((p) => p.name === 'received').length, 1);
});

test('script edits are checked when made: CR/LF in a value, a non-token name, the headers the proxy keeps, a Request-URI that is not one', () => {
  const h = harness();
  const errors: string[] = [];
  h.proxy.onRequest = (pr) => {
    const attempts: Array<() => void> = [
      () => pr.addHeader('X-A', 'v\r\nInjected: 1'), () => pr.addHeader('X A', 'v'), () => pr.addHeader('', 'v'),
      () => pr.addHeader('Content-Length', '0'), () => pr.addHeader('l', '0'), () => pr.addHeader('v', 'SIP/2.0/UDP x'),
      () => pr.removeHeader('Call-ID'), () => pr.removeHeader('CSeq'), () => pr.removeHeader('Max-Forwards'), () => pr.removeHeader('f'),
      () => pr.setRequestUri('sip:bob@192.0.2.20 x'), () => pr.setDestination('not a uri'),
    ];
    for (const a of attempts) {
      try { a(); errors.push('accepted'); } catch (e) { errors.push(e instanceof TypeError ? 'TypeError' : String(e)); }
    }
    pr.addHeader('X-Ok', 'fine\tvalue');
    pr.removeHeader('Subject');
    pr.relay();
  };
  h.recv(request({ headers: ['Subject: hi'] }));
  assert.deepEqual(errors, Array(12).fill('TypeError'));
  const fwd = only(h.take(), isReq('INVITE')).msg;
  assert.equal(fwd.get('X-Ok'), 'fine\tvalue');
  assert.equal(fwd.has('Subject'), false);
  assert.equal(fwd.maxForwards, 69);
});

test('removeHeaderLine takes one received line out of every branch (parallel, serial by q, the failure handler\'s) and their retransmissions; the other lines of its name stay', async () => {
  const h = harness();
  const theirs = 'Digest username="alice", realm="other.example", nonce="n2", uri="sip:bob@192.0.2.20", response="11"';
  const ours = 'Digest username="alice", realm="example.com", nonce="n1", uri="sip:bob@192.0.2.20", response="00"';
  const errors: string[] = [];
  h.proxy.onRequest = (pr) => {
    for (const bad of [-1, 1.5, pr.msg.headerCount, pr.msg.indexOf('Call-ID'), pr.msg.indexOf('Via')]) {
      try { pr.removeHeaderLine(bad); errors.push('accepted'); } catch (e) { errors.push(e instanceof TypeError ? 'TypeError' : String(e)); }
    }
    const first = pr.msg.indexOf('Proxy-Authorization');
    pr.removeHeaderLine(pr.msg.indexOf('Proxy-Authorization', first + 1));
    pr.onFailure = () => { void pr.relay([{ uri: 'sip:vm@192.0.2.99' }]); };
    void pr.relay([{ uri: 'sip:bob@192.0.2.21', q: 1 }, { uri: 'sip:bob@192.0.2.22', q: 1 }, { uri: 'sip:bob@192.0.2.31', q: 0.5 }]);
  };
  h.recv(request({ headers: [`Proxy-Authorization: ${theirs}`, `Proxy-Authorization: ${ours}`] }));
  assert.deepEqual(errors, Array(5).fill('TypeError'));
  const invites: Array<{ addr: string; creds: string[] }> = [];
  const note = (s: ReturnType<typeof h.take>) => {
    for (const x of s) if (x.msg.isRequest && x.msg.method === 'INVITE') invites.push({ addr: x.target.address, creds: x.msg.getAll('Proxy-Authorization') });
    return s;
  };
  const first = note(h.take());
  h.clock.advance(500);
  note(h.take());
  for (const addr of ['192.0.2.21', '192.0.2.22']) {
    const b = first.find((x) => x.msg.isRequest && x.target.address === addr);
    assert.ok(b);
    h.answer(b.msg, 486, 'Busy Here');
  }
  const serial = note(h.take()).find((x) => x.msg.isRequest && x.msg.method === 'INVITE');
  assert.ok(serial);
  h.answer(serial.msg, 486, 'Busy Here');
  await new Promise((r) => setImmediate(r));
  note(h.take());
  assert.deepEqual(invites.map((i) => i.addr), ['192.0.2.21', '192.0.2.22', '192.0.2.21', '192.0.2.22', '192.0.2.31', '192.0.2.99']);
  for (const i of invites) assert.deepEqual(i.creds, [theirs], i.addr);
});
