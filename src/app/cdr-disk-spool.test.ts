import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCdr, encodeCdr } from '../features/cdr/index.ts';
import { counting } from '../../test/support/counting.ts';
import { callRecord, recordingLog } from '../features/cdr/test-support.ts';
import { DiskSpool } from './cdr-disk-spool.ts';

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'cdr-spool-'));
  dirs.push(d);
  return join(d, 'spool'); // created by open()
}

let wall = 1_700_000_000_000;
async function open(dir: string, maxBytes = 1_000_000) {
  const c = counting();
  const log = recordingLog();
  const spool = await DiskSpool.open({
    dir, maxBytes, fsync: true, counters: c.factory, log, wallMs: () => wall++,
    check: (t) => { const d = decodeCdr(t); return d.ok ? undefined : d.error.message; },
  });
  return { spool, counters: c.values, log };
}

const text = (cid: string) => encodeCdr(callRecord({ callid: cid }));

describe('DiskSpool', () => {
  test('one file per CDR; what a previous run left is loaded in order after a restart; remove deletes the file', async () => {
    const dir = freshDir();
    const a = await open(dir);
    const ids: string[] = [];
    for (const cid of ['c1', 'c2', 'c3']) {
      const r = await a.spool.append(text(cid));
      assert.ok(r.ok);
      ids.push(r.entry.id);
    }
    assert.equal(readdirSync(dir).length, 3);
    assert.equal(readFileSync(join(dir, ids[0] ?? ''), 'utf8'), `${text('c1')}\n`);
    await a.spool.remove(ids[1] ?? '');
    assert.equal(existsSync(join(dir, ids[1] ?? '')), false);
    await a.spool.remove('never-there.cdr');

    const b = await open(dir); // the sender restarted
    assert.deepEqual([...b.spool.pending()].map((e) => e.text), [text('c1'), text('c3')]);
    const st = b.spool.status();
    assert.equal(st.count, 2);
    assert.equal(st.bytes, a.spool.status().bytes);
    assert.equal(st.oldestWallMs, [...b.spool.pending()][0]?.wallMs);
    // New entries sort after the reloaded ones.
    const r = await b.spool.append(text('c4'));
    assert.ok(r.ok);
    assert.deepEqual([...b.spool.pending()].map((e) => JSON.parse(e.text.slice(5)).cid), ['c1', 'c3', 'c4']);
  });

  test('bounded by bytes: an append past spoolMaxBytes is refused with FEATURE_CDR_SPOOL_FULL, also when appends race', async () => {
    const dir = freshDir();
    const one = Buffer.byteLength(text('c0')) + 1;
    const { spool } = await open(dir, one * 3);
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => spool.append(text(`c${i}`))));
    assert.equal(results.filter((r) => r.ok).length, 3);
    const refused = results.find((r) => !r.ok);
    assert.equal(refused?.ok === false ? refused.code : '', 'FEATURE_CDR_SPOOL_FULL');
    assert.equal(readdirSync(dir).length, 3);
    assert.equal(spool.status().bytes, one * 3);
    const first = [...spool.pending()][0];
    await spool.remove(first?.id ?? '');
    assert.equal((await spool.append(text('c9'))).ok, true, 'room again after a delivery');
  });

  test('a corrupt entry is skipped, counted, logged and renamed .bad; leftovers of interrupted writes are removed', async () => {
    const dir = freshDir();
    const a = await open(dir);
    await a.spool.append(text('good-1'));
    writeFileSync(join(dir, '001700000000500-00000077.cdr'), 'CDR1:{"cid":"x"}\n');            // decodes to nothing valid
    writeFileSync(join(dir, '001700000000501-00000078.cdr'), text('half').slice(0, 40));        // no final newline
    writeFileSync(join(dir, '001700000000502-00000079.cdr'), Buffer.from([0xff, 0xfe, 0x00, 0x0a]));
    writeFileSync(join(dir, '.tmp-001700000000503-00000080.cdr'), text('interrupted'));
    writeFileSync(join(dir, 'README.txt'), 'not a spool file');
    await a.spool.append(text('good-2'));

    const b = await open(dir);
    assert.deepEqual([...b.spool.pending()].map((e) => JSON.parse(e.text.slice(5)).cid), ['good-1', 'good-2']);
    assert.equal(b.counters.get('cdr:spool_corrupt'), 3);
    assert.equal(b.log.lines.filter((l) => l.level === 'warn').length, 3);
    const files = readdirSync(dir).sort();
    assert.equal(files.filter((f) => f.endsWith('.bad')).length, 3);
    assert.equal(files.some((f) => f.startsWith('.tmp-')), false);
    assert.ok(files.includes('README.txt'));
    // A second restart does not count them again.
    const c = await open(dir);
    assert.equal(c.counters.get('cdr:spool_corrupt') ?? 0, 0);
    assert.equal(c.spool.status().count, 2);
  });

  test('an unwritable folder gives FEATURE_CDR_SPOOL_IO, not an exception', async () => {
    const dir = freshDir();
    const { spool } = await open(dir);
    rmSync(dir, { recursive: true, force: true });
    const r = await spool.append(text('c1'));
    assert.equal(r.ok ? 'ok' : r.code, 'FEATURE_CDR_SPOOL_IO');
    assert.equal(spool.status().count, 0);
  });
});
