// Random sequences of proxy edits against a model: what parse(toBuffer()) reads back must be what the
// edits say, whatever the order (multi-value lines, compact forms, values popped then added).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseMessage, MessageEditor, type SipMessage } from './index.ts';

const MSG = [
  'INVITE sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKv1, SIP/2.0/UDP b.example.com;branch=z9hG4bKv2',
  'Route: <sip:r1.example.com;lr>',
  'v: SIP/2.0/TCP c.example.com;branch=z9hG4bKv3',
  'Route: <sip:r2.example.com;lr>, <sip:r3.example.com;lr>,<sip:r4.example.com;lr>',
  'Record-Route: <sip:rr1.example.com;lr>',
  'From: <sip:alice@example.com>;tag=1',
  'To: <sip:bob@example.com>',
  'Call-ID: c@example.com',
  'CSeq: 1 INVITE',
  'Max-Forwards: 10',
  'Content-Length: 3',
  '',
  'abc',
].join('\r\n');

type Op =
  | { op: 'addVia'; n: number }
  | { op: 'removeVia' }
  | { op: 'popRoute' }
  | { op: 'prependRoute'; n: number }
  | { op: 'prependRR'; n: number }
  | { op: 'setMf'; n: number }
  | { op: 'body'; s: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.nat(999).map((n) => ({ op: 'addVia' as const, n })),
  fc.constant({ op: 'removeVia' as const }),
  fc.constant({ op: 'popRoute' as const }),
  fc.nat(999).map((n) => ({ op: 'prependRoute' as const, n })),
  fc.nat(999).map((n) => ({ op: 'prependRR' as const, n })),
  fc.nat(255).map((n) => ({ op: 'setMf' as const, n })),
  fc.string({ maxLength: 20 }).map((s) => ({ op: 'body' as const, s })),
);

function hosts(r: ReturnType<SipMessage['routes']>): string[] {
  assert.ok(r.ok);
  return r.value.map((n) => (n.uri.kind === 'sip' ? n.uri.host : '?'));
}

test('edit sequences read back as the model says', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 12 }), (ops) => {
      const parsed = parseMessage(Buffer.from(MSG, 'latin1'));
      assert.ok(parsed.ok);
      const ed = new MessageEditor(parsed.value);
      const model = {
        vias: ['z9hG4bKv1', 'z9hG4bKv2', 'z9hG4bKv3'],
        routes: ['r1.example.com', 'r2.example.com', 'r3.example.com', 'r4.example.com'],
        rr: ['rr1.example.com'],
        mf: 10,
        body: 'abc',
      };
      for (const o of ops) {
        switch (o.op) {
          case 'addVia': ed.addViaTop(`SIP/2.0/UDP p.example.com;branch=z9hG4bKp${o.n}`); model.vias.unshift(`z9hG4bKp${o.n}`); break;
          case 'removeVia': if (model.vias.length > 1) { assert.equal(ed.removeTopVia(), true); model.vias.shift(); } break;
          case 'popRoute': assert.equal(ed.popTopRoute(), model.routes.length > 0); model.routes.shift(); break;
          case 'prependRoute': ed.prependRoute(`<sip:n${o.n}.example.com;lr>`); model.routes.unshift(`n${o.n}.example.com`); break;
          case 'prependRR': ed.prependRecordRoute(`<sip:q${o.n}.example.com;lr>`); model.rr.unshift(`q${o.n}.example.com`); break;
          case 'setMf': ed.setMaxForwards(o.n); model.mf = o.n; break;
          case 'body': ed.setBody(o.s); model.body = o.s; break;
        }
      }
      const r = parseMessage(ed.toBuffer());
      assert.ok(r.ok, r.ok ? '' : r.error.message);
      const m = r.value;
      const v = m.vias();
      assert.ok(v.ok);
      assert.deepEqual(v.value.map((x) => x.branch), model.vias);
      assert.deepEqual(hosts(m.routes()), model.routes);
      assert.deepEqual(hosts(m.recordRoutes()), model.rr);
      assert.equal(m.maxForwards, model.mf);
      assert.equal(m.body.toString('utf8'), model.body);
      assert.equal(m.contentLength, Buffer.byteLength(model.body));
      assert.equal(m.callId, 'c@example.com');
    }),
    { numRuns: 1000 },
  );
});
