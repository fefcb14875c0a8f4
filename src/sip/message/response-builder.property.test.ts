/**
 * buildResponseBytes copies adjacent Via/From/To/Call-ID/CSeq lines as one range. This checks it
 * against the line-by-line reading of RFC 3261 §8.2.6 written out here (each copied line from its
 * name to the end of its value, then CRLF; the To tag after the To value) on generated requests:
 * copied and other headers interleaved, CRLF or bare LF line ends, folded values, white space
 * before the line end, compact names, To with and without a tag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseMessage } from './parser.ts';
import { buildResponseBytes, deriveToTag } from './response-builder.ts';
import { H } from './header-names.ts';
import { HDR_STRIDE, HDR_LINE_START, HDR_VALUE_END } from './sip-message.ts';

const COPIED: readonly number[] = [H.via, H.from, H.to, H.callId, H.cseq];

const eol = fc.constantFrom('\r\n', '\n');
const header = fc.oneof(
  fc.constantFrom('Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-a', 'v: SIP/2.0/TCP h.example;branch=z9hG4bK-b ', 'Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK-c,\r\n SIP/2.0/UDP 192.0.2.3;branch=z9hG4bK-d'),
  fc.constantFrom('X-A: 1', 'Subject: hello  ', 'Contact: <sip:a@192.0.2.1>', 'Accept: application/sdp', 'User-Agent: x\r\n  y'),
);
const request = fc.record({
  eol,
  toTagged: fc.boolean(),
  fromCompact: fc.boolean(),
  extra: fc.array(header, { maxLength: 6 }),
  order: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
}).map(({ eol: e, toTagged, fromCompact, extra, order }) => {
  const lines = [
    'Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1',
    `${fromCompact ? 'f' : 'From'}: "A" <sip:a@x.example>;tag=f1`,
    `To: <sip:b@y.example>${toTagged ? ';tag=t1' : ''}`,
    'Call-ID: c1@x',
    'CSeq: 7 OPTIONS',
    ...extra,
  ];
  // A stable shuffle driven by the generated numbers.
  const keyed = lines.map((l, i) => ({ l, k: (order[i % order.length] ?? 0) * 31 + i }));
  keyed.sort((a, b) => a.k - b.k);
  return `OPTIONS sip:b@y.example SIP/2.0${e}${keyed.map((x) => x.l.replaceAll('\r\n', e) + e).join('')}Content-Length: 0${e}${e}`;
});

test('buildResponseBytes copies the §8.2.6 lines as the line-by-line reading does (adjacent lines merged)', () => {
  fc.assert(fc.property(request, fc.constantFrom(100, 200, 404), fc.option(fc.constantFrom('abc', 'x-1'), { nil: undefined }), (text, status, toTag) => {
    const r = parseMessage(Buffer.from(text, 'latin1'));
    assert.ok(r.ok, text);
    const req = r.value;
    const needTag = status > 100 && req.to.tag === undefined;
    let want = `SIP/2.0 ${status} R\r\n`;
    for (let i = 0; i < req.headerCount; i++) {
      if (!COPIED.includes(req.headerId(i))) continue;
      const b = i * HDR_STRIDE;
      want += req.buffer.toString('latin1', req.table[b + HDR_LINE_START], req.table[b + HDR_VALUE_END]);
      if (req.headerId(i) === H.to && needTag) want += `;tag=${toTag ?? deriveToTag(req)}`;
      want += '\r\n';
    }
    want += 'X-Extra: 1\r\nContent-Length: 0\r\n\r\n';
    const got = buildResponseBytes(req, status, 'R', { headers: [['X-Extra', '1']], toTag });
    assert.equal(got.toString('latin1'), want, text);
  }), { numRuns: 1500 });
});
