/**
 * Field helpers shared by the codecs: UTF-8 identifiers, 0/1 flags, bounded counts and the
 * flooding path. Each reader leaves the ByteReader failed (sticky) or returns a WireError, so the
 * codecs read straight through and check once.
 */
import { isUtf8 } from 'node:buffer';
import type { ByteReader } from '../../lib/byte-reader.ts';
import type { ByteWriter } from '../../lib/byte-writer.ts';
import { encodeLimit, readerError, wireError, type WireError } from './errors.ts';
import { MAX_PATH_LENGTH } from './limits.ts';

/** Mutable holder for the first semantic error found while reading (reader errors are separate). */
export interface DecodeState {
  error: WireError | undefined;
}

export function newState(): DecodeState {
  return { error: undefined };
}

/** The error to report: a semantic one found first, else the reader's. */
export function failure(r: ByteReader, st: DecodeState, what: string): WireError | undefined {
  if (st.error !== undefined) return st.error;
  if (r.failed) return readerError(r, what);
  return undefined;
}

/** Fails when bytes are left after the last field (every vector decodes with none left, README). */
export function checkDone(r: ByteReader, st: DecodeState, what: string): WireError | undefined {
  const f = failure(r, st, what);
  if (f !== undefined) return f;
  if (r.remaining !== 0) return wireError('CLUSTER_WIRE_TRAILING_BYTES', `${what}: ${r.remaining} bytes left over`, r.offset);
  return undefined;
}

/**
 * A str holding text we switch on or show (urls, capability names, tags, MI names): must be UTF-8,
 * so decoding then encoding gives the same bytes. Payload strs stay Buffers instead.
 */
export function readText(r: ByteReader, st: DecodeState, what: string, maxBytes?: number): string {
  const at = r.offset;
  const b = r.str(maxBytes);
  if (r.failed || st.error !== undefined) return '';
  if (!isUtf8(b)) {
    st.error = wireError('CLUSTER_WIRE_BAD_TEXT', `${what} is not valid UTF-8`, at);
    return '';
  }
  return b.toString('utf8');
}

/** An int that OpenSIPS only ever writes as 0 or 1; anything else is rejected so re-encoding is exact. */
export function readFlag(r: ByteReader, st: DecodeState, what: string): boolean {
  const at = r.offset;
  const v = r.i32();
  if (r.failed || st.error !== undefined) return false;
  if (v !== 0 && v !== 1) {
    st.error = wireError('CLUSTER_WIRE_BAD_VALUE', `${what} = ${v}, expected 0 or 1`, at);
    return false;
  }
  return v === 1;
}

/**
 * A count read before a list. Checked against its limit and against the bytes left (each item is
 * at least `minItemBytes`), before the caller allocates anything for it.
 */
export function readCount(r: ByteReader, st: DecodeState, what: string, max: number, minItemBytes: number): number {
  const at = r.offset;
  const n = r.i32();
  if (r.failed || st.error !== undefined) return 0;
  if (n < 0 || n > max) {
    st.error = wireError('CLUSTER_WIRE_COUNT_LIMIT', `${what} = ${n}, allowed 0..${max}`, at);
    r.fail('truncated', 0, 0);
    return 0;
  }
  if (n * minItemBytes > r.remaining) {
    st.error = wireError('CLUSTER_WIRE_TRUNCATED', `${what} = ${n} needs ${n * minItemBytes} bytes, ${r.remaining} left`, at);
    r.fail('truncated', n * minItemBytes, r.remaining);
    return 0;
  }
  return n;
}

/** `path_len, path[path_len]` at the end of flooded clusterer-internal messages (topology.c). */
export function readPath(r: ByteReader, st: DecodeState): number[] {
  const n = readCount(r, st, 'path_len', MAX_PATH_LENGTH, 4);
  const path: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) path[i] = r.i32();
  return path;
}

export function writePath(w: ByteWriter, path: readonly number[]): void {
  if (path.length > MAX_PATH_LENGTH) throw encodeLimit(`path of ${path.length} nodes above ${MAX_PATH_LENGTH}`);
  w.i32(path.length);
  for (const id of path) w.i32(id);
}

export function checkCount(what: string, n: number, max: number): void {
  if (n > max) throw encodeLimit(`${what} = ${n} above ${max}`);
}
