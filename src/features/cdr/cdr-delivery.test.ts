import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/fake-time.ts';
import { decodeCdr } from './cdr-codec.ts';
import { CdrDelivery, answerOf, type DeliveryAnswer, type DeliveryParams } from './cdr-delivery.ts';
import { MemorySpool } from './cdr-spool.ts';
import { counting } from '../../../test/support/counting.ts';
import { callRecord, recordingLog } from './test-support.ts';

const PARAMS: DeliveryParams = { maxInFlight: 4, retryMinMs: 500, retryMaxMs: 4000 };

/** Lets pending promise callbacks run (the machine's sends and spool calls are async). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

function make(send: (text: string) => Promise<DeliveryAnswer>, opts: { params?: DeliveryParams; spoolBytes?: number } = {}) {
  const clock = new FakeClock();
  const c = counting();
  const log = recordingLog();
  const spool = new MemorySpool(opts.spoolBytes ?? 1_000_000, () => clock.wallMs());
  const delivery = new CdrDelivery(opts.params ?? PARAMS, { spool, send, timers: clock, counters: c.factory, log });
  return { clock, delivery, spool, counters: c.values, log };
}

describe('CdrDelivery', () => {
  test('spools first, then delivers; the spool is empty once the writer answered', async () => {
    const sent: string[] = [];
    const { delivery, spool, counters } = make(async (text) => { sent.push(text); return { kind: 'written', id: sent.length }; });
    const r = await delivery.submit(callRecord());
    assert.equal(r.ok, true);
    await settle();
    assert.equal(sent.length, 1);
    assert.deepEqual(decodeCdr(sent[0] ?? ''), { ok: true, value: callRecord() });
    assert.equal(spool.status().count, 0);
    assert.equal(delivery.state, 'idle');
    assert.equal(counters.get('cdr:delivered'), 1);
    assert.equal(counters.get('cdr:spool_count'), 0);
  });

  test('writer away: exponential backoff, one probe at a time, full window again once it answers', async () => {
    let up = false;
    let inFlight = 0;
    let maxInFlight = 0;
    const sendTimes: number[] = [];
    const h = make(async () => {
      sendTimes.push(h.clock.nowMs());
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return up ? { kind: 'written', id: 1 } : { kind: 'retry', reason: 'writer unreachable' };
    });
    for (let i = 0; i < 6; i++) await h.delivery.submit(callRecord({ callid: `c${i}` }));
    await settle();
    assert.equal(h.delivery.state, 'backoff');
    assert.equal(maxInFlight, 4, 'the first round uses the window');
    const firstRound = sendTimes.length;
    // Probes at +500, then +1000, +2000, +4000 (the cap), +4000.
    for (const wait of [500, 1000, 2000, 4000, 4000]) {
      h.clock.advance(wait - 1);
      await settle();
      const before = sendTimes.length;
      h.clock.advance(1);
      await settle();
      assert.equal(sendTimes.length, before + 1, `one probe after ${wait} ms`);
    }
    assert.ok(firstRound >= 4);
    assert.equal(h.spool.status().count, 6, 'nothing leaves the spool while the writer is away');
    assert.equal(h.log.lines.filter((l) => l.level === 'warn').length, 1, 'one warning per outage, not one per retry');
    up = true;
    maxInFlight = 0;
    h.clock.advance(4000);
    await settle();
    assert.equal(h.spool.status().count, 0);
    assert.equal(h.counters.get('cdr:delivered'), 6);
    assert.ok(maxInFlight > 1, 'after the probe succeeded the window opens again');
    assert.equal(h.delivery.state, 'idle');
  });

  test('retryNow (the writer node came up) probes at once instead of waiting out the backoff', async () => {
    let up = false;
    const h = make(async () => (up ? { kind: 'written', id: 7 } : { kind: 'retry', reason: 'writer unreachable' }));
    await h.delivery.submit(callRecord());
    await settle();
    assert.equal(h.delivery.state, 'backoff');
    up = true;
    h.delivery.retryNow();
    await settle();
    assert.equal(h.spool.status().count, 0);
  });

  test('a full spool refuses the CDR: counted in cdr:spool_refused and logged at warn with its text', async () => {
    const h = make(async () => ({ kind: 'retry', reason: 'writer unreachable' }), { spoolBytes: 700 });
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await h.delivery.submit(callRecord({ callid: `call-${i}` })));
    const refused = results.filter((r) => !r.ok);
    assert.ok(refused.length >= 1 && refused.length < 4, `refused ${refused.length}`);
    assert.equal(refused[0]?.ok === false ? refused[0].code : '', 'FEATURE_CDR_SPOOL_FULL');
    assert.equal(h.counters.get('cdr:spool_refused'), refused.length);
    const warns = h.log.lines.filter((l) => l.level === 'warn' && l.msg.includes('spool full'));
    assert.equal(warns.length, refused.length);
    assert.match(String(warns[0]?.fields?.cdr), /^CDR1:\{"cid":"call-/);
    assert.ok(h.spool.status().bytes <= 700);
  });

  test('a permanent refusal (malformed) drops the CDR with a warning; a transient one keeps it', async () => {
    const h = make(async (text) => (text.includes('"cid":"bad"') ? answerOf({ ok: false, code: 'FEATURE_CDR_MALFORMED' }) : answerOf({ ok: false, code: 'FEATURE_CDR_WRITE_FAILED' })));
    await h.delivery.submit(callRecord({ callid: 'bad' }));
    await h.delivery.submit(callRecord({ callid: 'good' }));
    await settle();
    assert.equal(h.counters.get('cdr:rejected'), 1);
    assert.deepEqual([...h.spool.pending()].map((e) => JSON.parse(e.text.slice(5)).cid), ['good']);
    assert.ok(h.log.lines.some((l) => l.level === 'warn' && String(l.fields?.cdr).includes('"cid":"bad"')));
    assert.equal(h.delivery.state, 'backoff');
  });

  test('a send that throws counts as a retry, not a crash', async () => {
    let calls = 0;
    const h = make(() => { calls++; if (calls === 1) throw new Error('boom'); return Promise.resolve({ kind: 'written', id: 1 }); });
    await h.delivery.submit(callRecord());
    await settle();
    assert.equal(h.delivery.state, 'backoff');
    h.clock.advance(500);
    await settle();
    assert.equal(h.spool.status().count, 0);
    assert.equal(h.counters.get('cdr:retries'), 1);
  });

  test('a CDR the writer keeps failing as retryable does not hold back the ones behind it; it stays spooled', async () => {
    const written: string[] = [];
    const { clock, delivery, spool } = make(async (text) => {
      const cid = (decodeCdr(text) as { ok: true; value: { callid: string } }).value.callid;
      if (cid === 'poison') return answerOf({ ok: false, code: 'FEATURE_CDR_WRITE_FAILED' });
      written.push(cid);
      return { kind: 'written', id: written.length };
    }, { spoolBytes: 4000 });
    await delivery.submit(callRecord({ callid: 'poison' }));
    await settle();
    for (let i = 0; i < 20; i++) {
      const r = await delivery.submit(callRecord({ callid: `good-${i}` }));
      assert.equal(r.ok, true, `good-${i} refused: the spool filled behind the poisoned CDR`);
      await settle();
      for (let k = 0; k < 10; k++) { clock.advance(4000); await settle(); }
    }
    assert.equal(written.length, 20);
    assert.equal(spool.status().count, 1, 'the refused one is still spooled, never lost');
  });
});
