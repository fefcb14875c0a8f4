import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EslFrameParser, frameHeader, type EslParserOutput } from './esl-frame-parser.ts';
import { MAX_DECLARED_CONTENT_LENGTH, MAX_FRAME_HEADER_BYTES } from './esl-limits.ts';

const AUTH = 'Content-Type: auth/request\n\n';
const OK = 'Content-Type: command/reply\nReply-Text: +OK accepted\n\n';
const JSON_BODY = '{"Event-Name":"CHANNEL_CREATE","Unique-ID":"a1"}';
const EVENT = `Content-Length: ${Buffer.byteLength(JSON_BODY)}\nContent-Type: text/event-json\n\n${JSON_BODY}`;
const API_BODY = 'UP 0 years, 0 days\nFreeSWITCH is ready\n';
const API = `Content-Type: api/response\nContent-Length: ${API_BODY.length}\n\n${API_BODY}`;
const STREAM = AUTH + OK + EVENT + API + EVENT;

function summary(outs: EslParserOutput[]): string[] {
  return outs.map((o) => (o.kind === 'frame' ? `${o.frame.contentType}|${o.frame.body?.toString('utf8') ?? '-'}` : `skipped ${o.skipped.contentType} ${o.skipped.bodyBytes}`));
}

function feed(p: EslFrameParser, bytes: Buffer, sizes: (i: number) => number): { outs: EslParserOutput[]; error?: string } {
  const outs: EslParserOutput[] = [];
  for (let i = 0, k = 0; i < bytes.length; k++) {
    const n = Math.max(1, sizes(k));
    const r = p.push(bytes.subarray(i, i + n));
    outs.push(...r.out);
    if (r.error !== undefined) return { outs, error: r.error.code };
    i += n;
  }
  return { outs };
}

const EXPECTED = ['auth/request|-', 'command/reply|-', `text/event-json|${JSON_BODY}`, `api/response|${API_BODY}`, `text/event-json|${JSON_BODY}`];

describe('EslFrameParser', () => {
  test('one read holding five frames (merged) gives the five frames in order', () => {
    const p = new EslFrameParser(1 << 20);
    const r = p.push(Buffer.from(STREAM));
    assert.equal(r.error, undefined);
    assert.deepEqual(summary(r.out), EXPECTED);
    assert.equal(p.bufferedBytes, 0);
    const reply = r.out[1];
    assert.ok(reply?.kind === 'frame');
    assert.equal(frameHeader(reply.frame, 'reply-text'), '+OK accepted');
  });

  test('one-byte reads, and every split point of two reads, give the same frames', () => {
    const bytes = Buffer.from(STREAM);
    assert.deepEqual(summary(feed(new EslFrameParser(1 << 20), bytes, () => 1).outs), EXPECTED);
    for (let cut = 1; cut < bytes.length; cut++) {
      const got = feed(new EslFrameParser(1 << 20), bytes, (k) => (k === 0 ? cut : bytes.length));
      assert.deepEqual(summary(got.outs), EXPECTED, `split at ${cut}`);
    }
  });

  test('random read sizes (seeded) give the same frames', () => {
    const bytes = Buffer.from(STREAM.repeat(20));
    let s = 7;
    const rnd = () => { s = (s * 1103515245 + 12345) % 2147483648; return s; };
    const got = feed(new EslFrameParser(1 << 20), bytes, () => 1 + (rnd() % 97));
    assert.equal(got.error, undefined);
    assert.equal(got.outs.length, 100);
  });

  test('a body counted in bytes, not characters (UTF-8), and CRLF line ends', () => {
    const body = '{"Event-Name":"CUSTOM","x":"ünï"}';
    const frame = `Content-Length: ${Buffer.byteLength(body)}\r\nContent-Type: text/event-json\r\n\r\n${body}${AUTH}`;
    const r = new EslFrameParser(1024).push(Buffer.from(frame));
    assert.deepEqual(summary(r.out), [`text/event-json|${body}`, 'auth/request|-']);
  });

  test('a body larger than maxBodyBytes is skipped as it streams past, and parsing goes on', () => {
    const big = 'x'.repeat(5000);
    const stream = Buffer.from(`Content-Length: 5000\nContent-Type: text/event-plain\n\n${big}${OK}`);
    const p = new EslFrameParser(1000);
    const got = feed(p, stream, () => 333);
    assert.deepEqual(summary(got.outs), ['skipped text/event-plain 5000', 'command/reply|-']);
    assert.equal(p.bufferedBytes, 0);
  });

  test('hostile input: typed errors, and the parser refuses anything after', () => {
    const cases: Array<[string, string]> = [
      ['Content-Length: 12x\n\n', 'FEATURE_ESL_BAD_CONTENT_LENGTH'],
      ['Content-Length: -1\n\n', 'FEATURE_ESL_BAD_CONTENT_LENGTH'],
      [`Content-Length: ${MAX_DECLARED_CONTENT_LENGTH + 1}\n\n`, 'FEATURE_ESL_BODY_TOO_LARGE'],
      ['Content-Length: 99999999999999999999\n\n', 'FEATURE_ESL_BAD_CONTENT_LENGTH'],
      ['no colon here\n\n', 'FEATURE_ESL_BAD_HEADER'],
      [': empty name\n\n', 'FEATURE_ESL_BAD_HEADER'],
      [`${'A: b\n'.repeat(100)}\n`, 'FEATURE_ESL_BAD_HEADER'],
    ];
    for (const [input, code] of cases) {
      const p = new EslFrameParser(1024);
      const r = p.push(Buffer.from(input));
      assert.equal(r.error?.code, code, input.slice(0, 40));
      assert.equal(p.push(Buffer.from(AUTH)).error?.code, code, 'stays failed');
    }
  });

  test('a header block that never ends is refused once it passes MAX_FRAME_HEADER_BYTES, one byte at a time too', () => {
    const p = new EslFrameParser(1024);
    const got = feed(p, Buffer.from(`X-Junk: ${'a'.repeat(MAX_FRAME_HEADER_BYTES)}`), () => 1);
    assert.equal(got.error, 'FEATURE_ESL_HEADER_TOO_LARGE');
    assert.ok(p.bufferedBytes === 0);
    const q = new EslFrameParser(1024);
    assert.equal(q.push(Buffer.from(`X-Junk: ${'a'.repeat(MAX_FRAME_HEADER_BYTES)}\n\n`)).error?.code, 'FEATURE_ESL_HEADER_TOO_LARGE');
  });

  test('random garbage never throws: frames or a typed error', () => {
    let s = 42;
    const rnd = () => { s = (s * 1103515245 + 12345) % 2147483648; return s; };
    for (let round = 0; round < 300; round++) {
      const len = rnd() % 400;
      const alphabet = 'Content-Length: 0123456789\n:\r ab';
      const junk = Buffer.from(Array.from({ length: len }, () => alphabet[rnd() % alphabet.length]).join(''));
      const p = new EslFrameParser(64);
      assert.doesNotThrow(() => feed(p, junk, () => 1 + (rnd() % 17)));
    }
  });
});

test('a read of many small frames copies O(read) bytes, not O(frames × read) (each frame\'s rest was copied back out)', () => {
  const frame = Buffer.from('Content-Type: command/reply\nReply-Text: +OK\n\n');
  const read = Buffer.concat(Array(2000).fill(frame));
  const parser = new EslFrameParser(1 << 20);
  const from = Buffer.from;
  const concat = Buffer.concat;
  let copied = 0;
  Buffer.from = ((...a: Parameters<typeof Buffer.from>) => { const b = (from as (...x: unknown[]) => Buffer)(...a); copied += b.length; return b; }) as typeof Buffer.from;
  Buffer.concat = ((list: readonly Uint8Array[], n?: number) => { const b = concat(list, n); copied += b.length; return b; }) as typeof Buffer.concat;
  let frames = 0;
  try {
    frames = parser.push(read).out.length;
  } finally {
    Buffer.from = from;
    Buffer.concat = concat;
  }
  assert.equal(frames, 2000);
  assert.ok(copied <= 3 * read.length, `${copied} bytes copied for a ${read.length}-byte read`);
});
