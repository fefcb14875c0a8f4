/**
 * Typed decode errors. A bad packet is never an exception: decoders return one of these codes
 * (documented in docs/reference/errors.md, "Cluster wire") and the caller drops the packet and
 * counts it. Encoders are different: they are handed fields by our own code, so a field that
 * breaks a limit there is a programming error and throws a SipclusterError (CLUSTER_WIRE_ENCODE_LIMIT).
 */
import type { ByteReader } from '../../lib/byte-reader.ts';
import { SipclusterError } from '../../lib/errors.ts';
import { err } from '../../lib/result.ts';

export type WireErrorCode =
  | 'CLUSTER_WIRE_TOO_SHORT'
  | 'CLUSTER_WIRE_TOO_LONG'
  | 'CLUSTER_WIRE_BAD_MARKER'
  | 'CLUSTER_WIRE_LENGTH_MISMATCH'
  | 'CLUSTER_WIRE_BAD_CAPABILITY_NAME'
  | 'CLUSTER_WIRE_BAD_VERSION'
  | 'CLUSTER_WIRE_UNKNOWN_TYPE'
  | 'CLUSTER_WIRE_TRUNCATED'
  | 'CLUSTER_WIRE_TRAILING_BYTES'
  | 'CLUSTER_WIRE_STR_TOO_LONG'
  | 'CLUSTER_WIRE_COUNT_LIMIT'
  | 'CLUSTER_WIRE_BAD_VALUE'
  | 'CLUSTER_WIRE_BAD_TEXT'
  | 'CLUSTER_WIRE_BAD_CHUNK'
  | 'CLUSTER_WIRE_TOO_FRAGMENTED';

export interface WireError {
  readonly code: WireErrorCode;
  readonly message: string;
  /** Byte offset in the packet (or stream) where the problem was found, when known. */
  readonly offset?: number;
}

export function wireError(code: WireErrorCode, message: string, offset?: number): WireError {
  return offset === undefined ? { code, message } : { code, message, offset };
}

export function wireErr(code: WireErrorCode, message: string, offset?: number): { readonly ok: false; readonly error: WireError } {
  return err(wireError(code, message, offset));
}

/** Turns a reader's sticky failure into a wire error, naming what was being read. */
export function readerError(r: ByteReader, what: string): WireError {
  const f = r.error;
  if (f === undefined) return wireError('CLUSTER_WIRE_TRUNCATED', `${what}: reader not failed`);
  if (f.reason === 'too-long') {
    return wireError('CLUSTER_WIRE_STR_TOO_LONG', `${what}: str of ${f.wanted} bytes over the limit of ${f.available}`, f.offset);
  }
  return wireError('CLUSTER_WIRE_TRUNCATED', `${what}: needs ${f.wanted} bytes at offset ${f.offset}, ${f.available} left`, f.offset);
}

/** Thrown by encoders handed fields that break a limit (our bug, not the peer's). */
export function encodeLimit(message: string): SipclusterError {
  return new SipclusterError('CLUSTER_WIRE_ENCODE_LIMIT', message);
}
