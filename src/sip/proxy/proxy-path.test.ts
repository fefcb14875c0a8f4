import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, isReq, only, request } from '../../../test/support/proxy-harness.ts';
import { pathRoutes } from './path-routes.ts';

const CONTACT = 'sip:bob@198.51.100.7:5062;ob';
const EDGE = '<sip:edge.example;lr>'; // never resolved: the tests give numeric hops
const PATH = '<sip:192.0.2.51:5070;lr;ob>, <sip:192.0.2.52;lr>';

test('RFC 3327 §5.3: a contact\'s Path becomes the Route set; the request goes to the first Path hop, the Request-URI stays the contact', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay([{ uri: CONTACT, path: PATH }]); };
  h.recv(request({ uri: 'sip:bob@example.com' }));
  const fwd = only(h.take(), isReq('INVITE'));
  assert.deepEqual(fwd.target, { proto: 'udp', address: '192.0.2.51', port: 5070 });
  assert.equal(fwd.msg.uriText, CONTACT);
  assert.deepEqual(fwd.msg.getList('Route'), ['<sip:192.0.2.51:5070;lr;ob>', '<sip:192.0.2.52;lr>']);
  assert.equal(h.stat('tm:path_routed_branches'), 1);
});

test('RFC 3327 §5.3: the Path goes above our own Route, which is popped (§16.4), and the CANCEL follows the same Route set (§9.1)', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay([{ uri: CONTACT, path: PATH }]); };
  h.recv(request({ uri: 'sip:bob@example.com', headers: ['Route: <sip:10.0.0.1;lr>'] }));
  const fwd = only(h.take(), isReq('INVITE'));
  assert.deepEqual(fwd.msg.getList('Route'), ['<sip:192.0.2.51:5070;lr;ob>', '<sip:192.0.2.52;lr>'], 'our Route popped, Path on top');
  h.answer(fwd.msg, 180, 'Ringing');
  h.recv(request({ method: 'CANCEL', uri: 'sip:bob@example.com' }));
  const cancel = only(h.take(), isReq('CANCEL'));
  assert.deepEqual(cancel.target, fwd.target);
  assert.deepEqual(cancel.msg.getList('Route'), fwd.msg.getList('Route'));
  assert.equal(cancel.msg.uriText, CONTACT);
});

test('RFC 3327 §5.3: an explicit destination ($du) still decides the next hop; the Path is still the Route set', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay([{ uri: CONTACT, path: `${EDGE}, <sip:192.0.2.52;lr>`, destination: 'sip:192.0.2.60:5080' }]); };
  h.recv(request({ method: 'MESSAGE', uri: 'sip:bob@example.com' }));
  const fwd = only(h.take(), isReq('MESSAGE'));
  assert.deepEqual(fwd.target, { proto: 'udp', address: '192.0.2.60', port: 5080 });
  assert.deepEqual(fwd.msg.getList('Route'), ['<sip:edge.example;lr>', '<sip:192.0.2.52;lr>']);
});

test('RFC 3327: an unusable Path ends the branch as a local 503 instead of bypassing the edge proxy', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay([{ uri: CONTACT, path: '<sip:192.0.2.51;lr' }]); };
  h.recv(request({ method: 'MESSAGE', uri: 'sip:bob@example.com' }));
  const s = h.take();
  assert.equal(s.filter((x) => x.msg.isRequest).length, 0, 'nothing forwarded');
  assert.equal(only(s, (m) => !m.isRequest).msg.status, 503);
});

test('a relay without Path adds no Route (the common case is unchanged)', () => {
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay([{ uri: CONTACT }]); };
  h.recv(request({ uri: 'sip:bob@example.com' }));
  const fwd = only(h.take(), isReq('INVITE'));
  assert.deepEqual(fwd.target, { proto: 'udp', address: '198.51.100.7', port: 5062 });
  assert.deepEqual(fwd.msg.getList('Route'), []);
  assert.equal(h.stat('tm:path_routed_branches'), 0);
});

test('pathRoutes splits the stored Path outside quotes and <>, and refuses what is not a list of SIP URIs', () => {
  assert.deepEqual(pathRoutes('<sip:a.example;lr>,"x, y" <sip:b.example;lr>'), {
    values: ['<sip:a.example;lr>', '"x, y" <sip:b.example;lr>'], firstUri: 'sip:a.example;lr',
  });
  assert.equal(pathRoutes(''), undefined);
  assert.equal(pathRoutes('<tel:+15551234;lr>'), undefined);
  assert.equal(pathRoutes('"unterminated <sip:a;lr>'), undefined);
  assert.equal(pathRoutes(Array.from({ length: 17 }, (_, i) => `<sip:h${i}.example;lr>`).join(',')), undefined);
});

test('a Path value with CR or LF (a lenient quoted display name, a stored row) is unusable: it would split the Route header', () => {
  assert.equal(pathRoutes('"a\rb" <sip:edge.example;lr>'), undefined);
  assert.equal(pathRoutes('<sip:edge.example;lr>,<sip:b.example;lr;x="\n">'), undefined);
  const h = harness();
  h.proxy.onRequest = (pr) => { pr.relay([{ uri: CONTACT, path: '"a\rb" <sip:edge.example;lr>' }]); };
  h.recv(request({ method: 'MESSAGE', uri: 'sip:bob@example.com' }));
  const s = h.take();
  assert.equal(s.filter((x) => x.msg.isRequest).length, 0, 'nothing forwarded');
  assert.equal(only(s, (m) => !m.isRequest).msg.status, 503);
});
