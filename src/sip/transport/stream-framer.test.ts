import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamFramer, contentLengthOf, type FramerEvent } from './stream-framer.ts';

const msg = (body: string, cl = Buffer.byteLength(body), name = 'Content-Length') =>
  `OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n${name}: ${cl}\r\n\r\n${body}`;

function feed(framer: StreamFramer, chunks: Array<string | Buffer>): FramerEvent[] {
  const out: FramerEvent[] = [];
  for (const c of chunks) framer.push(typeof c === 'string' ? Buffer.from(c, 'latin1') : c, out);
  return out;
}

test('two messages in one chunk and one message split byte by byte (RFC 3261 §18.3)', () => {
  const a = msg('hello');
  const b = msg('', 0, 'l');
  const merged = feed(new StreamFramer(), [a + b]);
  assert.deepEqual(merged.map((e) => e.kind === 'message' ? e.data.toString('latin1') : e.kind), [a, b]);
  const bytes = Buffer.from(a + b, 'latin1');
  const trickle = feed(new StreamFramer(), [...bytes].map((x) => Buffer.from([x])));
  assert.deepEqual(trickle.map((e) => e.kind === 'message' ? e.data.toString('latin1') : e.kind), [a, b]);
});

test('CRLFCRLF between messages is a keep-alive ping; a lone CRLF is skipped (RFC 5626 §4.4.1)', () => {
  const a = msg('x');
  const ev = feed(new StreamFramer(), ['\r\n\r\n', '\r\n', a, '\r', '\n\r\n']);
  assert.deepEqual(ev.map((e) => e.kind), ['keepalive-ping', 'message', 'keepalive-ping']);
});

test('missing, bad or oversized Content-Length breaks the stream once, then nothing more', () => {
  for (const bad of [
    'OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n',
    msg('', 0).replace('Content-Length: 0', 'Content-Length: zero'),
    msg('', 0).replace('Content-Length: 0', 'Content-Length: 9999999'),
    msg('ab', 2) .replace('\r\n\r\n', '\r\nl: 3\r\n\r\n'),
    msg('', 70000),
  ]) {
    const f = new StreamFramer();
    const ev = feed(f, [bad, msg('ok')]);
    assert.equal(ev.length, 1, bad);
    assert.equal(ev[0]?.kind, 'error');
  }
  const f = new StreamFramer();
  assert.equal(feed(f, ['X'.repeat(20000)])[0]?.kind, 'error');
});

test('Content-Length is found in long and compact form, case-insensitive, with spaces before the colon', () => {
  const h = (s: string) => { const b = Buffer.from(s, 'latin1'); return contentLengthOf(b, b.indexOf('\r\n\r\n')); };
  assert.equal(h('A\r\ncontent-LENGTH : 12\r\n\r\n'), 12);
  assert.equal(h('A\r\nL:7\r\n\r\n'), 7);
  assert.equal(h('A\r\nLocation: 5\r\n\r\n'), 'Content-Length is mandatory on stream transports (RFC 3261 §18.3)');
});

test('a folded Content-Length (RFC 3261 §7.3.1 continuation line) frames as the parser reads it', () => {
  const folded = 'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length:\r\n 5\r\nX-A: 1\r\n\r\nhello';
  assert.deepEqual(feed(new StreamFramer(), [folded]).map((e) => (e.kind === 'message' ? e.data.toString('latin1') : e.kind)), [folded]);
  assert.equal(contentLengthOf(Buffer.from('l:\r\n\t12 \r\n', 'latin1'), 10), 12);
  assert.equal(contentLengthOf(Buffer.from('Content-Length: 1\r\n 2\r\n', 'latin1'), 22), 'Content-Length is not a number', 'a folded value is one value: "1 2"');
});

test('a message trickled in byte by byte is copied O(size) times, not once per byte (a growing store, not a concat per chunk)', () => {
  const body = 'x'.repeat(16_000);
  const whole = Buffer.from(msg(body), 'latin1');
  const framer = new StreamFramer();
  const allocUnsafe = Buffer.allocUnsafe;
  let allocated = 0;
  Buffer.allocUnsafe = ((n: number) => { allocated += n; return allocUnsafe(n); }) as typeof Buffer.allocUnsafe;
  const out: FramerEvent[] = [];
  try {
    for (let i = 0; i < whole.length; i++) framer.push(whole.subarray(i, i + 1), out);
  } finally {
    Buffer.allocUnsafe = allocUnsafe;
  }
  assert.deepEqual(out.map((e) => (e.kind === 'message' ? e.data.equals(whole) : e.kind)), [true]);
  assert.ok(allocated <= 8 * whole.length, `${allocated} bytes allocated for a ${whole.length}-byte message`);
  assert.equal(framer.bufferedBytes(), 0);
});
