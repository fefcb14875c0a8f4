import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/fake-time.ts';
import { parseMessage } from '../message/index.ts';
import type { SipMessage } from '../message/index.ts';
import { MemoryLocationStore } from './memory-location-store.ts';
import { RegisterHandler } from './register-handler.ts';
import { ulDump } from './usrloc-mi.ts';
import type { ReceiveInfo, RegistrarConfig } from './register-handler.ts';

const rcv: ReceiveInfo = { proto: 'udp', sourceIp: '192.0.2.10', sourcePort: 5060, socket: 'udp:203.0.113.1:5060' };

function register(opts: { contacts?: string[]; expires?: number; cseq?: number; callId?: string; extra?: string[]; to?: string } = {}): SipMessage {
  const lines = [
    'REGISTER sip:example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds',
    'Max-Forwards: 70',
    `To: ${opts.to ?? 'Bob <sip:bob@Example.COM>'}`,
    'From: Bob <sip:bob@example.com>;tag=456248',
    `Call-ID: ${opts.callId ?? '843817637684230@998sdasdh09'}`,
    `CSeq: ${opts.cseq ?? 1826} REGISTER`,
    ...(opts.contacts ?? ['<sip:bob@192.0.2.10:5060>']).map((c) => `Contact: ${c}`),
    ...(opts.expires === undefined ? [] : [`Expires: ${opts.expires}`]),
    'User-Agent: TestPhone/1.0',
    ...(opts.extra ?? []),
    'Content-Length: 0',
    '', '',
  ];
  const r = parseMessage(Buffer.from(lines.join('\r\n')));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

function setup(config: RegistrarConfig = {}) {
  const clock = new FakeClock();
  const store = new MemoryLocationStore({ clock });
  const handler = new RegisterHandler(store, clock, config);
  return { clock, store, handler };
}

const header = (h: ReadonlyArray<readonly [string, string]>, name: string) => h.filter(([n]) => n === name).map(([, v]) => v);

test('adds a binding and answers 200 with Contact;expires and Date (RFC 3261 §10.3 step 8)', () => {
  const { store, handler } = setup();
  const r = handler.handle(register({ expires: 3600 }), rcv);
  assert.equal(r.status, 200);
  assert.equal(r.aor, 'bob@example.com', 'host lower-cased');
  assert.deepEqual(header(r.headers, 'Contact'), ['<sip:bob@192.0.2.10:5060>;expires=3600']);
  assert.equal(header(r.headers, 'Date')[0], 'Tue, 14 Nov 2023 22:13:20 GMT');
  const b = store.lookup('bob@example.com')[0];
  assert.ok(b !== undefined);
  assert.equal(b.userAgent, 'TestPhone/1.0');
  assert.equal(b.socket, 'udp:203.0.113.1:5060');
  assert.equal(b.received, undefined, 'no NAT: contact equals the source');
});

test('expires: parameter beats header, default when absent, clamped to max, 423 below min', () => {
  const { handler } = setup({ minExpiresSec: 60, maxExpiresSec: 7200, defaultExpiresSec: 1800 });
  let r = handler.handle(register({ contacts: ['<sip:bob@192.0.2.10>;expires=120'], expires: 3600 }), rcv);
  assert.match(header(r.headers, 'Contact')[0] ?? '', /;expires=120$/);
  r = handler.handle(register({ contacts: ['<sip:bob@192.0.2.11>'], cseq: 2000 }), rcv);
  assert.ok(header(r.headers, 'Contact').some((c) => c === '<sip:bob@192.0.2.11>;expires=1800'));
  r = handler.handle(register({ contacts: ['<sip:bob@192.0.2.12>'], expires: 999999, cseq: 2001 }), rcv);
  assert.ok(header(r.headers, 'Contact').some((c) => c === '<sip:bob@192.0.2.12>;expires=7200'));
  r = handler.handle(register({ contacts: ['<sip:bob@192.0.2.13>'], expires: 30, cseq: 2002 }), rcv);
  assert.deepEqual([r.status, r.reason, r.code], [423, 'Interval Too Brief', 'SIP_REG_INTERVAL_TOO_BRIEF']);
  assert.deepEqual(header(r.headers, 'Min-Expires'), ['60']);
});

test('refresh keeps one binding; same Call-ID with a CSeq not higher is refused and changes nothing', () => {
  const { store, handler } = setup();
  handler.handle(register({ expires: 600, cseq: 10 }), rcv);
  const first = store.lookup('bob@example.com')[0];
  assert.equal(handler.handle(register({ expires: 900, cseq: 11 }), rcv).status, 200);
  assert.equal(store.contactCount(), 1);
  assert.equal(store.lookup('bob@example.com')[0]?.contactId, first?.contactId);
  const stale = handler.handle(register({ expires: 100, cseq: 11 }), rcv);
  assert.deepEqual([stale.status, stale.code], [400, 'SIP_REG_CSEQ_ORDER']);
  assert.equal(store.lookup('bob@example.com')[0]?.cseq, 11);
  assert.equal(handler.handle(register({ expires: 900, cseq: 1, callId: 'other-call' }), rcv).status, 200, 'another Call-ID may use any CSeq');
});

test('stateless replies: an equal CSeq within the Call-ID is a retransmission, 200 with the binding unchanged (OpenSIPS usrloc)', () => {
  const { clock, store, handler } = setup({ retransmissionsReachUs: true });
  assert.equal(handler.handle(register({ expires: 600, cseq: 10 }), rcv).status, 200);
  const first = store.lookup('bob@example.com')[0];
  clock.advance(5000);
  const again = handler.handle(register({ expires: 600, cseq: 10 }), rcv);
  assert.equal(again.status, 200, 'the retransmission gets the same answer');
  assert.deepEqual(header(again.headers, 'Contact'), ['<sip:bob@192.0.2.10:5060>;expires=595'], 'current bindings, expiry not refreshed');
  assert.equal(store.lookup('bob@example.com')[0], first, 'binding object untouched');
  const older = handler.handle(register({ expires: 600, cseq: 9 }), rcv);
  assert.deepEqual([older.status, older.code], [400, 'SIP_REG_CSEQ_ORDER'], 'a lower CSeq still fails (§10.3 step 7)');
  // Past 64·T1 after the binding's last change no copy is in flight: an equal CSeq is a UA reusing it.
  clock.advance(28_000);
  assert.equal(handler.handle(register({ expires: 600, cseq: 10 }), rcv).status, 400, '33 s later: refused, not silently kept');
  // `*` with the CSeq of the binding's REGISTER is never a retransmission (the first `*` removed it).
  assert.equal(handler.handle(register({ contacts: ['*'], expires: 0, cseq: 10 }), rcv).status, 400);
  assert.equal(store.contactCount(), 1);
  // Expires 0 retransmitted after the binding is gone: nothing to remove, 200 with no Contact.
  assert.equal(handler.handle(register({ expires: 0, cseq: 11 }), rcv).status, 200);
  const rem = handler.handle(register({ expires: 0, cseq: 11 }), rcv);
  assert.equal(rem.status, 200);
  assert.equal(store.contactCount(), 0);
  // Without the option an equal CSeq is refused as RFC 3261 §10.3 step 7 says.
  const strict = setup();
  strict.handler.handle(register({ cseq: 10 }), rcv);
  assert.equal(strict.handler.handle(register({ cseq: 10 }), rcv).status, 400);
});

test('Expires: 0 removes a binding; Contact: * removes all, only with Expires: 0', () => {
  const { store, handler } = setup();
  handler.handle(register({ contacts: ['<sip:bob@192.0.2.10>', '<sip:bob@192.0.2.20>'], expires: 600 }), rcv);
  assert.equal(store.contactCount(), 2);
  let r = handler.handle(register({ contacts: ['<sip:bob@192.0.2.20>;expires=0'], expires: 600, cseq: 1827 }), rcv);
  assert.deepEqual(header(r.headers, 'Contact'), ['<sip:bob@192.0.2.10>;expires=600']);
  r = handler.handle(register({ contacts: ['*'], expires: 600, cseq: 1828 }), rcv);
  assert.deepEqual([r.status, r.code], [400, 'SIP_REG_STAR_EXPIRES']);
  r = handler.handle(register({ contacts: ['*'], cseq: 1828 }), rcv);
  assert.equal(r.status, 400, 'star without Expires');
  r = handler.handle(register({ contacts: ['*'], expires: 0, cseq: 1826 }), rcv);
  assert.deepEqual([r.status, r.code], [400, 'SIP_REG_CSEQ_ORDER'], 'star with an old CSeq of the same Call-ID');
  r = handler.handle(register({ contacts: ['*'], expires: 0, cseq: 1829 }), rcv);
  assert.equal(r.status, 200);
  assert.deepEqual(header(r.headers, 'Contact'), []);
  assert.equal(store.aorCount(), 0);
});

test('q-values kept and echoed; a malformed q is 400', () => {
  const { handler } = setup();
  const r = handler.handle(register({ contacts: ['<sip:bob@192.0.2.10>;q=0.7'], expires: 600 }), rcv);
  assert.deepEqual(header(r.headers, 'Contact'), ['<sip:bob@192.0.2.10>;expires=600;q=0.7']);
  assert.equal(handler.handle(register({ contacts: ['<sip:bob@192.0.2.10>;q=1.5'], cseq: 1900 }), rcv).code, 'SIP_REG_BAD_Q');
});

test('max contacts per AoR: 503 and nothing stored', () => {
  const { store, handler } = setup({ maxContactsPerAor: 2 });
  const r = handler.handle(register({ contacts: ['<sip:b@192.0.2.1>', '<sip:b@192.0.2.2>', '<sip:b@192.0.2.3>'], expires: 600 }), rcv);
  assert.deepEqual([r.status, r.code], [503, 'SIP_REG_TOO_MANY_CONTACTS']);
  assert.equal(store.contactCount(), 0);
});

test('NAT: a contact other than the packet source keeps the source as received', () => {
  const { store, handler } = setup();
  handler.handle(register({ contacts: ['<sip:bob@10.0.0.5:5062>'], expires: 600 }), { ...rcv, proto: 'tcp', sourcePort: 40000 });
  assert.equal(store.lookup('bob@example.com')[0]?.received, 'sip:192.0.2.10:40000;transport=tcp');
});

test('RFC 5626: +sip.instance and reg-id key the binding across Contact changes, and are echoed', () => {
  const { store, handler } = setup();
  const inst = '+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1';
  handler.handle(register({ contacts: [`<sip:bob@192.0.2.10:1111;ob>;${inst}`], expires: 600 }), rcv);
  const r = handler.handle(register({ contacts: [`<sip:bob@198.51.100.9:2222;ob>;${inst}`], expires: 600, cseq: 1827 }), rcv);
  assert.equal(store.contactCount(), 1);
  assert.deepEqual(header(r.headers, 'Contact'), [
    '<sip:bob@198.51.100.9:2222;ob>;expires=600;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1',
  ]);
});

test('Path (RFC 3327): stored and returned; strict mode needs Supported: path', () => {
  const lazy = setup();
  const path = ['Path: <sip:edge1.example.com;lr>', 'Path: <sip:edge2.example.com;lr>'];
  let r = lazy.handler.handle(register({ expires: 600, extra: path }), rcv);
  assert.equal(lazy.store.lookup('bob@example.com')[0]?.path, '<sip:edge1.example.com;lr>,<sip:edge2.example.com;lr>');
  assert.deepEqual(header(r.headers, 'Path'), ['<sip:edge1.example.com;lr>,<sip:edge2.example.com;lr>']);
  const strict = setup({ pathMode: 'strict' });
  r = strict.handler.handle(register({ expires: 600, extra: path }), rcv);
  assert.deepEqual([r.status, header(r.headers, 'Unsupported')], [420, ['path']]);
  r = strict.handler.handle(register({ expires: 600, extra: [...path, 'Supported: path'] }), rcv);
  assert.equal(r.status, 200);
});

test('Path mode off (OpenSIPS/Kamailio path_mode off) stores Path and keeps it out of the 200; ignore (use_path 0) does not store it', () => {
  const path = ['Path: <sip:edge1.example.com;lr>'];
  const off = setup({ pathMode: 'off' });
  let r = off.handler.handle(register({ expires: 600, extra: path }), rcv);
  assert.equal(r.status, 200);
  assert.equal(off.store.lookup('bob@example.com')[0]?.path, '<sip:edge1.example.com;lr>', 'lookup() still routes through the edge proxy');
  assert.deepEqual(header(r.headers, 'Path'), []);
  const ignore = setup({ pathMode: 'ignore' });
  r = ignore.handler.handle(register({ expires: 600, extra: path }), rcv);
  assert.equal(ignore.store.lookup('bob@example.com')[0]?.path, undefined);
  assert.deepEqual(header(r.headers, 'Path'), []);
});

test('a To URI without a user is 404 (RFC 3261 §10.3 step 5)', () => {
  const { handler } = setup();
  assert.deepEqual([handler.handle(register({ to: '<sip:example.com>' }), rcv).status], [404]);
});

test('a Contact the REGISTER repeats: the first one decides, once, and nothing throws mid-commit (§10.3 step 7)', () => {
  // A new binding listed twice: one binding, with the first Contact's expiry.
  let s = setup();
  let r = s.handler.handle(register({ contacts: ['<sip:bob@192.0.2.10>;expires=600', '<sip:bob@192.0.2.10>;expires=900'] }), rcv);
  assert.equal(r.status, 200);
  assert.deepEqual(header(r.headers, 'Contact'), ['<sip:bob@192.0.2.10>;expires=600']);
  // §19.1.4: a transport parameter in only one URI is ignored, so the second is the first again.
  r = s.handler.handle(register({ contacts: ['<sip:bob@192.0.2.20>', '<sip:bob@192.0.2.20;transport=udp>', '<sip:bob@192.0.2.21>'], cseq: 1900 }), rcv);
  assert.deepEqual(s.store.lookup('bob@example.com').map((b) => b.contact), ['sip:bob@192.0.2.10', 'sip:bob@192.0.2.20', 'sip:bob@192.0.2.21']);
  // An existing binding refreshed then removed in one request: the refresh decides (the removal threw before).
  s = setup();
  s.handler.handle(register({ contacts: ['<sip:bob@192.0.2.10>'], expires: 600 }), rcv);
  r = s.handler.handle(register({ contacts: ['<sip:bob@192.0.2.10>;expires=1200', '<sip:bob@192.0.2.10>;expires=0'], cseq: 1827 }), rcv);
  assert.equal(r.status, 200);
  assert.deepEqual(header(r.headers, 'Contact'), ['<sip:bob@192.0.2.10>;expires=1200']);
  r = s.handler.handle(register({ contacts: ['<sip:bob@192.0.2.10>;expires=0', '<sip:bob@192.0.2.10>;expires=900'], cseq: 1828 }), rcv);
  assert.equal(r.status, 200);
  assert.equal(s.store.lookup('bob@example.com').length, 0, 'removed, not half-applied');
  // RFC 5626: two Contacts with one +sip.instance and reg-id are one binding too.
  s = setup();
  const inst = ';+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1';
  r = s.handler.handle(register({ contacts: [`<sip:bob@192.0.2.10:5060>${inst}`, `<sip:bob@192.0.2.10:5070>${inst}`], expires: 600 }), rcv);
  assert.equal(r.status, 200);
  assert.deepEqual(s.store.lookup('bob@example.com').map((b) => b.contact), ['sip:bob@192.0.2.10:5060']);
});

test('Path (RFC 3327 §5.3): the 200 carries this REGISTER\'s Path, never the one another binding stored', () => {
  const { handler } = setup();
  const viaEdge = handler.handle(register({ contacts: ['<sip:bob@198.51.100.7>'], expires: 600, callId: 'a', extra: ['Path: <sip:edge1.example.net;lr>'] }), rcv);
  assert.deepEqual(header(viaEdge.headers, 'Path'), ['<sip:edge1.example.net;lr>']);
  const direct = handler.handle(register({ contacts: ['<sip:bob@192.0.2.10>'], expires: 600, callId: 'b' }), rcv);
  assert.equal(direct.status, 200);
  assert.equal(header(direct.headers, 'Contact').length, 2, 'both bindings listed');
  assert.deepEqual(header(direct.headers, 'Path'), [], 'the edge proxy of the other UA is not echoed');
});

test('RFC 5626 §4.1: reg-id is 1*DIGIT from 1 to 2^31-1; anything else is 400', () => {
  const inst = ';+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"';
  for (const bad of ['reg-id', 'reg-id=', 'reg-id=0', 'reg-id=0x10', 'reg-id=1e3', 'reg-id=2147483648', 'reg-id=-1']) {
    const { handler } = setup();
    const r = handler.handle(register({ contacts: [`<sip:bob@192.0.2.10>${inst};${bad}`], expires: 600 }), rcv);
    assert.deepEqual([r.status, r.code], [400, 'SIP_REG_BAD_CONTACT'], bad);
  }
  const { handler, store } = setup();
  assert.equal(handler.handle(register({ contacts: [`<sip:bob@192.0.2.10>${inst};reg-id=2147483647`], expires: 600 }), rcv).status, 200);
  assert.equal(store.lookup('bob@example.com')[0]?.regId, 2147483647);
});

test('RFC 3261 §25.1 qvalue = ("0" ["." 0*3DIGIT]) / ("1" ["." 0*3("0")]): three decimals are kept, echoed in the 200 and in ul_dump', () => {
  const { clock, store, handler } = setup();
  const r = handler.handle(register({ contacts: ['<sip:bob@192.0.2.10:5060>;q=0.125', '<sip:bob@192.0.2.11:5060>;q=0.12', '<sip:bob@192.0.2.12:5060>;q=0.121'], expires: 3600 }), rcv);
  assert.equal(r.status, 200);
  const contacts = header(r.headers, 'Contact');
  assert.ok(contacts.includes('<sip:bob@192.0.2.10:5060>;expires=3600;q=0.125'), contacts.join(' | '));
  assert.ok(contacts.includes('<sip:bob@192.0.2.11:5060>;expires=3600;q=0.12'), contacts.join(' | '));
  assert.ok(contacts.includes('<sip:bob@192.0.2.12:5060>;expires=3600;q=0.121'), contacts.join(' | '));
  assert.deepEqual(store.lookup('bob@example.com').map((b) => b.q), [125, 120, 121]);
  const dump = JSON.stringify(ulDump(store, clock));
  assert.ok(dump.includes('"Q":"0.125"') && dump.includes('"Q":"0.121"') && dump.includes('"Q":"0.12"'), dump);
  assert.equal(handler.handle(register({ contacts: ['<sip:bob@192.0.2.13>;q=0.1251'], cseq: 1900 }), rcv).status, 400, 'four decimals are no qvalue');
});

test('RFC 3261 §10.3 step 2 / §8.2.2.3: a Require naming an extension the registrar lacks is 420 with Unsupported, nothing stored', () => {
  const { store, handler } = setup();
  const r = handler.handle(register({ expires: 600, extra: ['Require: gruu, path', 'Require: foo'] }), rcv);
  assert.deepEqual([r.status, r.reason, r.code], [420, 'Bad Extension', 'SIP_REG_BAD_EXTENSION']);
  assert.deepEqual(header(r.headers, 'Unsupported'), ['gruu, foo'], 'path is ours: only the others are listed');
  assert.equal(store.contactCount(), 0);
  assert.equal(handler.handle(register({ expires: 600, extra: ['Require: Path'] }), rcv).status, 200, 'option tags compare case-insensitively');
  const ignore = setup({ pathMode: 'ignore' });
  const p = ignore.handler.handle(register({ expires: 600, extra: ['Require: path'] }), rcv);
  assert.deepEqual([p.status, header(p.headers, 'Unsupported')], [420, ['path']], 'pathMode ignore does not do Path');
});

test('a binding past its expiry that the sweep has not removed yet is no current binding (RFC 3261 §10.3 steps 7–8): not counted, not CSeq-checked', () => {
  const { clock, store, handler } = setup({ maxContactsPerAor: 1 });
  assert.equal(handler.handle(register({ contacts: ['<sip:bob@192.0.2.10>;expires=60'], cseq: 10 }), rcv).status, 200);
  clock.advance(61_000); // no store.expire(): the node sweeps once a second
  const two = handler.handle(register({ contacts: ['<sip:bob@192.0.2.10>', '<sip:bob@192.0.2.11>'], cseq: 11 }), rcv);
  assert.deepEqual([two.status, two.code], [503, 'SIP_REG_TOO_MANY_CONTACTS'], 'the expired binding refreshed plus a new one are two');
  assert.equal(store.lookup('bob@example.com').length, 0);
  const again = handler.handle(register({ contacts: ['<sip:bob@192.0.2.10>'], cseq: 5 }), rcv);
  assert.equal(again.status, 200, 'a lower CSeq than an expired binding\'s is no reordering');
  assert.deepEqual(store.lookup('bob@example.com').map((b) => [b.contact, b.cseq]), [['sip:bob@192.0.2.10', 5]]);
});
