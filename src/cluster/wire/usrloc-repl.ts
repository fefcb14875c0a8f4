/**
 * usrloc-contact-repl, UL_BIN_VERSION 5 (usrloc ul_cluster.c, OpenSIPS 3.6/4.0): URECORD_INSERT,
 * URECORD_DELETE, UCONTACT_INSERT, UCONTACT_UPDATE, UCONTACT_DELETE, plus the same records inside
 * SYNC chunks (`kind:i32` 0 AoR / 1 contact, then the insert fields). Payload first, trailer last.
 *
 * contact_id, expires, q and last_modified are C variables pushed as strs of their native bytes
 * (README): u64 / time_t (8 bytes) and int (4 bytes), little-endian on x86_64. We require exactly
 * those lengths (OpenSIPS would memcpy whatever came) so the values are exact and re-encode as sent.
 * Older usrloc versions (UL_BIN_V3 in 3.4) lay contacts out differently and are refused.
 */
import { ByteReader } from '../../lib/byte-reader.ts';
import type { ByteWriter } from '../../lib/byte-writer.ts';
import { ok, type Result } from '../../lib/result.ts';
import { wireErr, wireError, type WireError } from './errors.ts';
import { checkCount, checkDone, newState, readCount, type DecodeState } from './fields.ts';
import { finishPacket, startPacket, type BinFrame } from './framing.ts';
import { MAX_CT_MATCH_PARAMS } from './limits.ts';
import type { ContactMatch, UcontactFields, UrecordFields, UsrlocMessage } from './messages.ts';
import { readTrailer, trailerOf, writeTrailer } from './routing-trailer.ts';
import {
  CAP_USRLOC,
  CT_MATCH_PARAMS,
  REPL_UCONTACT_DELETE,
  REPL_UCONTACT_INSERT,
  REPL_UCONTACT_UPDATE,
  REPL_URECORD_DELETE,
  REPL_URECORD_INSERT,
  UL_BIN_VERSION,
} from './types.ts';

/** A native value inside a str: the length must be exactly `size`. */
function nativeStr(r: ByteReader, st: DecodeState, what: string, size: number): number {
  const at = r.offset;
  const len = r.u16();
  if (r.failed || st.error !== undefined) return -1;
  if (len !== size) {
    st.error = wireError('CLUSTER_WIRE_BAD_VALUE', `${what} str of ${len} bytes, expected ${size}`, at);
    r.fail('truncated', 0, 0);
    return -1;
  }
  if (r.remaining < size) {
    r.fail('truncated', size, r.remaining);
    return -1;
  }
  return r.offset;
}

function readNativeI64(r: ByteReader, st: DecodeState, what: string): bigint {
  return nativeStr(r, st, what, 8) < 0 ? 0n : r.i64();
}

function readNativeU64(r: ByteReader, st: DecodeState, what: string): bigint {
  return nativeStr(r, st, what, 8) < 0 ? 0n : r.u64();
}

function readNativeI32(r: ByteReader, st: DecodeState, what: string): number {
  return nativeStr(r, st, what, 4) < 0 ? 0 : r.i32();
}

export function readContactMatch(r: ByteReader, st: DecodeState): ContactMatch {
  const mode = r.i32();
  if (mode !== CT_MATCH_PARAMS || r.failed) return { mode, params: [] };
  const n = readCount(r, st, 'ct_match params', MAX_CT_MATCH_PARAMS, 2);
  const params: Buffer[] = new Array<Buffer>(n);
  for (let i = 0; i < n; i++) params[i] = r.str();
  return { mode, params };
}

export function writeContactMatch(w: ByteWriter, m: ContactMatch): void {
  w.i32(m.mode);
  if (m.mode !== CT_MATCH_PARAMS) return;
  checkCount('ct_match params', m.params.length, MAX_CT_MATCH_PARAMS);
  w.i32(m.params.length);
  for (const p of m.params) w.str(p);
}

export function readUrecord(r: ByteReader): UrecordFields {
  const domain = r.str();
  const aor = r.str();
  const label = r.i32();
  const nextClabel = r.i32();
  const kvStorage = r.str();
  return { domain, aor, label, nextClabel, kvStorage };
}

export function writeUrecord(w: ByteWriter, u: UrecordFields): void {
  w.str(u.domain).str(u.aor).i32(u.label).i32(u.nextClabel).str(u.kvStorage);
}

/** Insert layout; `contactIdLast` gives UPDATE's order (contact_id after kv_storage). */
export function readUcontact(r: ByteReader, st: DecodeState, contactIdLast: boolean): UcontactFields {
  const domain = r.str();
  const aor = r.str();
  const contact = r.str();
  let contactId = contactIdLast ? 0n : readNativeU64(r, st, 'contact_id');
  const callId = r.str();
  const userAgent = r.str();
  const path = r.str();
  const attr = r.str();
  const received = r.str();
  const instance = r.str();
  const expiresS = readNativeI64(r, st, 'expires');
  const q = readNativeI32(r, st, 'q');
  const socket = r.str();
  const cseq = r.i32();
  const flags = r.u32();
  const cflags = r.str();
  const methods = r.u32();
  const lastModifiedS = readNativeI64(r, st, 'last_modified');
  const kvStorage = r.str();
  if (contactIdLast) contactId = readNativeU64(r, st, 'contact_id');
  const contactMatch = readContactMatch(r, st);
  return {
    domain, aor, contact, contactId, callId, userAgent, path, attr, received, instance, expiresS, q,
    socket, cseq, flags, cflags, methods, lastModifiedS, kvStorage, contactMatch,
  };
}

export function writeUcontact(w: ByteWriter, c: UcontactFields, contactIdLast: boolean): void {
  w.str(c.domain).str(c.aor).str(c.contact);
  if (!contactIdLast) w.u16(8).u64(c.contactId);
  w.str(c.callId).str(c.userAgent).str(c.path).str(c.attr).str(c.received).str(c.instance);
  w.u16(8).i64(c.expiresS).u16(4).i32(c.q);
  w.str(c.socket).i32(c.cseq).u32(c.flags).str(c.cflags).u32(c.methods);
  w.u16(8).i64(c.lastModifiedS).str(c.kvStorage);
  if (contactIdLast) w.u16(8).u64(c.contactId);
  writeContactMatch(w, c.contactMatch);
}

export function decodeUsrloc(frame: BinFrame): Result<UsrlocMessage, WireError> {
  if (frame.type < REPL_URECORD_INSERT || frame.type > REPL_UCONTACT_DELETE) {
    return wireErr('CLUSTER_WIRE_UNKNOWN_TYPE', `usrloc type ${frame.type}`, frame.bodyOffset - 4);
  }
  if (frame.version !== UL_BIN_VERSION) {
    return wireErr('CLUSTER_WIRE_BAD_VERSION', `usrloc version ${frame.version}, expected ${UL_BIN_VERSION}`, 8);
  }
  const split = readTrailer(frame);
  if (!split.ok) return split;
  const t = split.value.trailer;
  const r = new ByteReader(frame.packet, frame.bodyOffset, split.value.payloadEnd);
  const st = newState();
  let msg: UsrlocMessage;
  switch (frame.type) {
    case REPL_URECORD_INSERT:
      msg = { kind: 'urecord-insert', ...t, ...readUrecord(r) };
      break;
    case REPL_URECORD_DELETE:
      msg = { kind: 'urecord-delete', ...t, domain: r.str(), aor: r.str() };
      break;
    case REPL_UCONTACT_INSERT:
      msg = { kind: 'ucontact-insert', ...t, ...readUcontact(r, st, false) };
      break;
    case REPL_UCONTACT_UPDATE:
      msg = { kind: 'ucontact-update', ...t, ...readUcontact(r, st, true) };
      break;
    default: {
      // REPL_UCONTACT_DELETE
      const domain = r.str();
      const aor = r.str();
      const contact = r.str();
      const callId = r.str();
      const cseq = r.i32();
      const contactMatch = readContactMatch(r, st);
      msg = { kind: 'ucontact-delete', ...t, domain, aor, contact, callId, cseq, contactMatch };
    }
  }
  const bad = checkDone(r, st, msg.kind);
  return bad === undefined ? ok(msg) : { ok: false, error: bad };
}

export function encodeUsrloc(msg: UsrlocMessage): Buffer {
  let w: ByteWriter;
  switch (msg.kind) {
    case 'urecord-insert':
      w = startPacket(CAP_USRLOC, UL_BIN_VERSION, REPL_URECORD_INSERT, 96);
      writeUrecord(w, msg);
      break;
    case 'urecord-delete':
      w = startPacket(CAP_USRLOC, UL_BIN_VERSION, REPL_URECORD_DELETE, 80);
      w.str(msg.domain).str(msg.aor);
      break;
    case 'ucontact-insert':
      w = startPacket(CAP_USRLOC, UL_BIN_VERSION, REPL_UCONTACT_INSERT, 256);
      writeUcontact(w, msg, false);
      break;
    case 'ucontact-update':
      w = startPacket(CAP_USRLOC, UL_BIN_VERSION, REPL_UCONTACT_UPDATE, 256);
      writeUcontact(w, msg, true);
      break;
    case 'ucontact-delete':
      w = startPacket(CAP_USRLOC, UL_BIN_VERSION, REPL_UCONTACT_DELETE, 128);
      w.str(msg.domain).str(msg.aor).str(msg.contact).str(msg.callId).i32(msg.cseq);
      writeContactMatch(w, msg.contactMatch);
      break;
  }
  writeTrailer(w, trailerOf(msg));
  return finishPacket(w);
}
