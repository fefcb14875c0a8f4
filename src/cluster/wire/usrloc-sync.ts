/**
 * usrloc records inside SYNC chunks (ul_cluster.c: the donor's sync callback writes one chunk per
 * AoR and one per contact). Chunk data = `kind:i32` (0 AoR, 1 contact) + the URECORD_INSERT or
 * UCONTACT_INSERT fields. Vectors 04 #54 (4 chunks) and 05 (498-byte SYNC) carry them; their
 * ct_match mode is 1 (CONTACT_CALLID) where live replication sends -1.
 * Decode only when SYNC.capability is 'usrloc-contact-repl' and dataVersion is UL_BIN_VERSION.
 */
import { ByteReader } from '../../lib/byte-reader.ts';
import { ByteWriter } from '../../lib/byte-writer.ts';
import { ok, type Result } from '../../lib/result.ts';
import { wireErr, type WireError } from './errors.ts';
import { checkDone, newState } from './fields.ts';
import type { UsrlocSyncRecord } from './messages.ts';
import { readUcontact, readUrecord, writeUcontact, writeUrecord } from './usrloc-repl.ts';
import { UL_SYNC_KIND_UCONTACT, UL_SYNC_KIND_URECORD } from './types.ts';

/** Decodes one chunk's data (as found in SyncMessage.chunks). Offsets are within the chunk. */
export function decodeUsrlocSyncChunk(chunk: Buffer): Result<UsrlocSyncRecord, WireError> {
  const r = new ByteReader(chunk);
  const st = newState();
  const kind = r.i32();
  let rec: UsrlocSyncRecord;
  if (r.failed) return wireErr('CLUSTER_WIRE_TRUNCATED', 'usrloc sync chunk without its kind', 0);
  if (kind === UL_SYNC_KIND_URECORD) rec = { kind: 'urecord', ...readUrecord(r) };
  else if (kind === UL_SYNC_KIND_UCONTACT) rec = { kind: 'ucontact', ...readUcontact(r, st, false) };
  else return wireErr('CLUSTER_WIRE_BAD_VALUE', `usrloc sync chunk kind ${kind}, expected 0 or 1`, 0);
  const bad = checkDone(r, st, `usrloc sync ${rec.kind}`);
  return bad === undefined ? ok(rec) : { ok: false, error: bad };
}

/** The chunk data for one record, to pass in SyncMessage.chunks. */
export function encodeUsrlocSyncChunk(rec: UsrlocSyncRecord): Buffer {
  const w = new ByteWriter(rec.kind === 'urecord' ? 64 : 192);
  if (rec.kind === 'urecord') {
    w.i32(UL_SYNC_KIND_URECORD);
    writeUrecord(w, rec);
  } else {
    w.i32(UL_SYNC_KIND_UCONTACT);
    writeUcontact(w, rec, false);
  }
  return w.finish();
}
