/**
 * Bounds-checked little-endian reader over a Buffer, for untrusted input.
 *
 * Decoders never throw on bad input: the first read that does not fit (or a str longer than the
 * caller's limit) puts the reader in a sticky failed state. From then on every read returns a
 * neutral value (0, an empty Buffer) without moving, so a decoder can read a whole layout
 * straight through and check `failed` once, and before anything it allocates from a count.
 * Integers are always read little-endian explicitly (never host order).
 */

export type ByteReadFailureReason = 'truncated' | 'too-long';

export interface ByteReadFailure {
  readonly reason: ByteReadFailureReason;
  /** Offset (from the start of the buffer) of the read that failed. */
  readonly offset: number;
  /** Bytes the read needed (truncated) or the declared length (too-long). */
  readonly wanted: number;
  /** Bytes that were left (truncated) or the limit that was broken (too-long). */
  readonly available: number;
}

const EMPTY = Buffer.alloc(0);

export class ByteReader {
  private readonly buf: Buffer;
  private pos: number;
  private readonly end: number;
  private failure: ByteReadFailure | undefined = undefined;

  /** Reads `buf[start, end)`; offsets reported in failures are relative to `buf`. */
  constructor(buf: Buffer, start = 0, end = buf.length) {
    if (start < 0 || end > buf.length || start > end) throw new RangeError('ByteReader: bad window');
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  get error(): ByteReadFailure | undefined {
    return this.failure;
  }

  /** True when nothing failed and every byte of the window was consumed. */
  get done(): boolean {
    return this.failure === undefined && this.pos === this.end;
  }

  /** Marks the reader failed from outside (e.g. a count over its limit) so later reads stop too. */
  fail(reason: ByteReadFailureReason, wanted: number, available: number): void {
    if (this.failure === undefined) this.failure = { reason, offset: this.pos, wanted, available };
  }

  private need(n: number): boolean {
    if (this.failure !== undefined) return false;
    if (this.end - this.pos < n) {
      this.failure = { reason: 'truncated', offset: this.pos, wanted: n, available: this.end - this.pos };
      return false;
    }
    return true;
  }

  i32(): number {
    if (!this.need(4)) return 0;
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  u32(): number {
    if (!this.need(4)) return 0;
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  i16(): number {
    if (!this.need(2)) return 0;
    const v = this.buf.readInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u16(): number {
    if (!this.need(2)) return 0;
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  i64(): bigint {
    if (!this.need(8)) return 0n;
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  u64(): bigint {
    if (!this.need(8)) return 0n;
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  /** `n` raw bytes as a view into the buffer (no copy). */
  bytes(n: number): Buffer {
    if (n < 0 || !Number.isInteger(n)) {
      this.fail('truncated', n, this.remaining);
      return EMPTY;
    }
    if (!this.need(n)) return EMPTY;
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A BIN str: u16 length then the bytes, as a view. The length is checked before the bytes. */
  str(maxBytes = 0xffff): Buffer {
    const start = this.pos;
    const len = this.u16();
    if (this.failure !== undefined) return EMPTY;
    if (len > maxBytes) {
      this.failure = { reason: 'too-long', offset: start, wanted: len, available: maxBytes };
      return EMPTY;
    }
    return this.bytes(len);
  }

  /** Reads an i32 at an absolute offset without moving (for trailers read from the end). */
  i32At(offset: number): number {
    if (this.failure !== undefined) return 0;
    if (offset < 0 || offset + 4 > this.end) {
      this.failure = { reason: 'truncated', offset, wanted: 4, available: Math.max(0, this.end - offset) };
      return 0;
    }
    return this.buf.readInt32LE(offset);
  }
}
