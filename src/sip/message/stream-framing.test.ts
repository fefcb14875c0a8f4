import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { frameStream, parseMessage, limits } from './index.ts';

const M1 = 'OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nl: 5\r\n\r\nhello';
const M2 = M1.replace('l: 5', 'Content-Length: 0').replace('hello', '');

test('frames back-to-back messages and keep-alives', () => {
  const buf = Buffer.from('\r\n\r\n' + M1 + M2);
  const k = frameStream(buf, 0);
  assert.deepEqual(k, { kind: 'keepalive', start: 0, end: 4 });
  const a = frameStream(buf, 4);
  assert.ok(a.kind === 'message');
  const m = parseMessage(buf.subarray(a.start, a.end), { framing: 'stream' });
  assert.ok(m.ok && m.value.body.toString() === 'hello');
  const b = frameStream(buf, a.end);
  assert.ok(b.kind === 'message' && b.end === buf.length);
});

test('every prefix of a message needs more; bad Content-Length is an error', () => {
  const full = Buffer.from(M1);
  for (let n = 1; n < full.length; n++) assert.equal(frameStream(full.subarray(0, n)).kind, 'need-more', `prefix ${n}`);
  const noCl = frameStream(Buffer.from(M1.replace('l: 5\r\n', '')));
  assert.ok(noCl.kind === 'error' && noCl.error.code === 'SIP_PARSE_MISSING_CONTENT_LENGTH');
  const neg = frameStream(Buffer.from(M1.replace('l: 5', 'l: -5')));
  assert.ok(neg.kind === 'error' && neg.error.code === 'SIP_PARSE_BAD_CONTENT_LENGTH');
  const huge = frameStream(Buffer.alloc(limits.MAX_MESSAGE_BYTES + 10, 0x41));
  assert.ok(huge.kind === 'error' && huge.error.code === 'SIP_PARSE_TOO_LARGE');
});

test('random chunking of a stream yields the same frames', () => {
  const stream = Buffer.from(M1 + '\r\n\r\n' + M2 + M1);
  fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 60 }), (cuts) => {
    let have = Buffer.alloc(0);
    let pos = 0;
    const frames: string[] = [];
    for (const c of [...cuts, stream.length]) {
      have = Buffer.concat([have, stream.subarray(pos, Math.min(stream.length, pos + c))]);
      pos = Math.min(stream.length, pos + c);
      for (;;) {
        const f = frameStream(have, 0);
        if (f.kind === 'need-more') break;
        assert.ok(f.kind !== 'error');
        if (f.kind === 'message') frames.push(have.subarray(f.start, f.end).toString());
        have = have.subarray(f.end);
      }
    }
    assert.deepEqual(frames, [M1, M2, M1]);
  }), { numRuns: 200 });
});
