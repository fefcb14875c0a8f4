import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeCdr, decodeReply, encodeCdr, encodeReply, isCdrText, MAX_CDR_TEXT_CHARS } from './cdr-codec.ts';
import { callRecord } from './test-support.ts';

describe('CDR1 codec', () => {
  test('round trip of a record, and of every CallEnd', () => {
    for (const endedBy of ['caller', 'callee', 'timeout'] as const) {
      const r = callRecord({ endedBy });
      const text = encodeCdr(r);
      assert.ok(text.startsWith('CDR1:{'));
      assert.ok(isCdrText(text));
      assert.deepEqual(decodeCdr(text), { ok: true, value: r });
    }
  });

  test('fields at their limits round-trip; one character more is refused', () => {
    const max = callRecord({ callid: 'c'.repeat(64), fromTag: 'f'.repeat(64), toTag: 't'.repeat(64), caller: `${'u'.repeat(64)}@${'d'.repeat(128)}`, sipReason: 'r'.repeat(32), durationMs: 0, setupMs: 0 });
    assert.equal(decodeCdr(encodeCdr(max)).ok, true);
    for (const over of [{ callid: 'c'.repeat(65) }, { toTag: 't'.repeat(65) }, { callee: `${'u'.repeat(65)}@x` }, { caller: `u@${'d'.repeat(129)}` }, { sipReason: 'r'.repeat(33) }]) {
      const d = decodeCdr(encodeCdr(callRecord(over)));
      assert.equal(d.ok ? 'ok' : d.error.code, 'FEATURE_CDR_MALFORMED', JSON.stringify(over));
    }
  });

  test('hostile texts give typed errors naming the problem', () => {
    const good = JSON.parse(encodeCdr(callRecord()).slice(5)) as Record<string, unknown>;
    const body = (over: Record<string, unknown>) => `CDR1:${JSON.stringify({ ...good, ...over })}`;
    const cases: Array<[string, string]> = [
      ['', 'FEATURE_CDR_MALFORMED'],
      ['CDR1:', 'FEATURE_CDR_MALFORMED'],
      ['CDR1:[1,2]', 'FEATURE_CDR_MALFORMED'],
      ['CDR1:null', 'FEATURE_CDR_MALFORMED'],
      ['CDR1:"x"', 'FEATURE_CDR_MALFORMED'],
      ['CDR1:{}', 'FEATURE_CDR_MALFORMED'],
      ['CDR2:{}', 'FEATURE_CDR_VERSION'],
      ['cdr1:{}', 'FEATURE_CDR_MALFORMED'],
      ['WHEREIS:alice', 'FEATURE_CDR_MALFORMED'],
      [`CDR1:${' '.repeat(MAX_CDR_TEXT_CHARS)}`, 'FEATURE_CDR_TOO_LARGE'],
      [body({ dur: -1 }), 'FEATURE_CDR_MALFORMED'],
      [body({ dur: 1.5 }), 'FEATURE_CDR_MALFORMED'],
      [body({ dur: '60' }), 'FEATURE_CDR_MALFORMED'],
      [body({ start: 0 }), 'FEATURE_CDR_MALFORMED'],
      [body({ code: 486 }), 'FEATURE_CDR_MALFORMED'],
      [body({ node: 0 }), 'FEATURE_CDR_MALFORMED'],
      [body({ end: 'hangup' }), 'FEATURE_CDR_MALFORMED'],
      [body({ cid: '' }), 'FEATURE_CDR_MALFORMED'],
      [body({ cid: 7 }), 'FEATURE_CDR_MALFORMED'],
      [body({ ft: null }), 'FEATURE_CDR_MALFORMED'],
    ];
    for (const [text, code] of cases) {
      const d = decodeCdr(text);
      assert.equal(d.ok ? 'ok' : d.error.code, code, text.slice(0, 80));
    }
    // Unknown keys are ignored within v1 (a newer sender may add some); __proto__ does nothing.
    const withExtras = encodeCdr(callRecord()).replace(/\}$/, ',"extra":1,"__proto__":{"cid":""}}');
    assert.deepEqual(decodeCdr(withExtras), { ok: true, value: callRecord() });
  });

  test('every truncated prefix of a valid text is an error, never an exception', () => {
    const text = encodeCdr(callRecord());
    for (let n = 0; n < text.length; n++) assert.equal(decodeCdr(text.slice(0, n)).ok, false, `prefix ${n}`);
  });

  test('random mutations never throw', () => {
    const text = encodeCdr(callRecord());
    fc.assert(fc.property(fc.nat(text.length - 1), fc.string({ maxLength: 4 }), (at, ins) => {
      const mutated = text.slice(0, at) + ins + text.slice(at + 1);
      const d = decodeCdr(mutated);
      if (d.ok) assert.equal(typeof d.value.callid, 'string');
    }), { numRuns: 2000 });
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => { decodeCdr(`CDR1:${s}`); decodeReply(s); }), { numRuns: 2000 });
  });

  test('replies: CDROK:<id> and CDRERR:<code>; anything else is undefined', () => {
    assert.deepEqual(decodeReply(encodeReply({ ok: true, id: 42 })), { ok: true, id: 42 });
    assert.deepEqual(decodeReply(encodeReply({ ok: false, code: 'FEATURE_CDR_WRITE_FAILED' })), { ok: false, code: 'FEATURE_CDR_WRITE_FAILED' });
    for (const bad of ['CDROK:', 'CDROK:-1', 'CDROK:1e3', 'CDROK:12345678901234567', 'CDRERR:', 'CDRERR:lower', `CDRERR:${'A'.repeat(200)}`, 'HEREIS:x', '']) {
      assert.equal(decodeReply(bad), undefined, bad);
    }
  });
});
