import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/fake-time.ts';
import { openStore, type OpenedStore } from '../../store/open-store.ts';
import { decodeReply, encodeCdr } from './cdr-codec.ts';
import { CdrDelivery, answerOf } from './cdr-delivery.ts';
import { MemorySpool } from './cdr-spool.ts';
import { CdrWriter, accRecordOf } from './cdr-writer.ts';
import { counting } from '../../../test/support/counting.ts';
import { callRecord, recordingLog } from './test-support.ts';

const stores: OpenedStore[] = [];
after(async () => { for (const s of stores) await s.close(); });

async function writer() {
  const store = await openStore('sqlite::memory:', { baseDir: process.cwd() });
  stores.push(store);
  const c = counting();
  const log = recordingLog();
  return { store, writer: new CdrWriter(store.acc, c.factory, log), counters: c.values, log };
}

describe('CdrWriter', () => {
  test('writes one acc row in OpenSIPS CDR shape and answers its id; the same CDR again gets the same id', async () => {
    const { store, writer: w, counters } = await writer();
    const r = callRecord();
    const first = decodeReply(await w.handle(encodeCdr(r), 2));
    assert.equal(first?.ok, true);
    const again = decodeReply(await w.handle(encodeCdr({ ...r, durationMs: 1 }), 2));
    assert.deepEqual(again, first);
    const rows = await store.acc.listByCallid(r.callid);
    assert.equal(rows.length, 1);
    const row = rows[0];
    // DATETIME columns keep whole seconds.
    const seconds = (d: Date | null | undefined) => (d === null || d === undefined ? null : Math.floor(d.getTime() / 1000));
    assert.deepEqual({ ...row, id: 0, time: seconds(row?.time), created: seconds(row?.created) }, {
      ...accRecordOf(r), id: 0, time: seconds(accRecordOf(r).time), created: seconds(accRecordOf(r).created),
      srcUser: 'alice', srcDomain: 'example.com', dstUser: 'bob', dstDomain: 'example.org', nodeId: 2,
    });
    // time = the INVITE (start − setup), durations from the 2xx; OpenSIPS rounds seconds down.
    assert.equal(seconds(row?.time), Math.floor((1_700_000_000_000 - 3_400) / 1000));
    assert.equal(row?.duration, 61);
    assert.equal(row?.msDuration, 61_250);
    assert.equal(row?.setuptime, 3);
    assert.equal(counters.get('cdr:written'), 1);
    assert.equal(counters.get('cdr:duplicates'), 1);
  });

  test('a malformed request is answered CDRERR, counted and logged; nothing is written', async () => {
    const { store, writer: w, counters, log } = await writer();
    assert.equal(await w.handle('CDR1:{"cid":', 3), 'CDRERR:FEATURE_CDR_MALFORMED');
    assert.equal(await w.handle('CDR9:{}', 3), 'CDRERR:FEATURE_CDR_VERSION');
    assert.equal(counters.get('cdr:malformed'), 2);
    assert.equal(log.lines.filter((l) => l.level === 'warn').length, 2);
    const n = await store.db.selectFrom('acc').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(n.n), 0);
  });

  test('a database failure is answered CDRERR:FEATURE_CDR_WRITE_FAILED (the sender retries), never thrown', async () => {
    const { store, writer: w, counters } = await writer();
    await store.close();
    stores.pop();
    assert.equal(await w.handle(encodeCdr(callRecord()), 2), 'CDRERR:FEATURE_CDR_WRITE_FAILED');
    assert.equal(counters.get('cdr:write_failed'), 1);
    assert.equal(answerOf(decodeReply('CDRERR:FEATURE_CDR_WRITE_FAILED')).kind, 'retry');
  });
});

describe('delivery to the writer', () => {
  test('a retry after a lost reply writes once: the second request gets the first row id and empties the spool', async () => {
    const { store, writer: w, counters: writerCounters } = await writer();
    const clock = new FakeClock();
    const c = counting();
    const spool = new MemorySpool(100_000, () => clock.wallMs());
    let requests = 0;
    const delivery = new CdrDelivery({ maxInFlight: 4, retryMinMs: 500, retryMaxMs: 4000 }, {
      spool, timers: clock, counters: c.factory, log: recordingLog(),
      send: async (text) => {
        requests++;
        const reply = await w.handle(text, 2);
        // The first reply is lost on the way back (writer killed after its commit, say).
        if (requests === 1) return { kind: 'retry', reason: 'no reply in time' };
        return answerOf(decodeReply(reply));
      },
    });
    const r = callRecord();
    await delivery.submit(r);
    for (let i = 0; i < 10; i++) await new Promise((res) => setImmediate(res));
    assert.equal(spool.status().count, 1, 'kept: the writer did write, but nobody told us');
    clock.advance(500);
    for (let i = 0; i < 20 && spool.status().count > 0; i++) await new Promise((res) => setImmediate(res));
    assert.equal(spool.status().count, 0);
    assert.equal(requests, 2);
    assert.equal((await store.acc.listByCallid(r.callid)).length, 1);
    assert.equal(writerCounters.get('cdr:written'), 1);
    assert.equal(writerCounters.get('cdr:duplicates'), 1);
    assert.equal(c.values.get('cdr:delivered'), 1);
  });
});
