/**
 * Growable little-endian writer. Encoders build one packet with it and take the bytes with
 * `finish()`. Growth doubles the backing store, so writing n bytes costs O(n) copies in total.
 * Values out of range are programming errors here (the encoder was handed a bad field): they throw.
 */
export class ByteWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialCapacity = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.pos;
  }

  private room(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  i32(v: number): this {
    this.room(4);
    this.buf.writeInt32LE(v, this.pos);
    this.pos += 4;
    return this;
  }

  u32(v: number): this {
    this.room(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
    return this;
  }

  i16(v: number): this {
    this.room(2);
    this.buf.writeInt16LE(v, this.pos);
    this.pos += 2;
    return this;
  }

  u16(v: number): this {
    this.room(2);
    this.buf.writeUInt16LE(v, this.pos);
    this.pos += 2;
    return this;
  }

  i64(v: bigint): this {
    this.room(8);
    this.buf.writeBigInt64LE(v, this.pos);
    this.pos += 8;
    return this;
  }

  u64(v: bigint): this {
    this.room(8);
    this.buf.writeBigUInt64LE(v, this.pos);
    this.pos += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** A BIN str: u16 length then the bytes. Strings are written as UTF-8. */
  str(v: Uint8Array | string): this {
    if (typeof v === 'string') {
      const n = Buffer.byteLength(v, 'utf8');
      if (n > 0xffff) throw new RangeError(`BIN str of ${n} bytes exceeds 65535`);
      this.room(2 + n);
      this.buf.writeUInt16LE(n, this.pos);
      this.buf.write(v, this.pos + 2, n, 'utf8');
      this.pos += 2 + n;
      return this;
    }
    if (v.length > 0xffff) throw new RangeError(`BIN str of ${v.length} bytes exceeds 65535`);
    this.u16(v.length);
    return this.bytes(v);
  }

  /** Overwrites a u32 already written (e.g. a length known only at the end). */
  patchU32(offset: number, v: number): this {
    if (offset < 0 || offset + 4 > this.pos) throw new RangeError('patch outside written bytes');
    this.buf.writeUInt32LE(v, offset);
    return this;
  }

  patchI32(offset: number, v: number): this {
    if (offset < 0 || offset + 4 > this.pos) throw new RangeError('patch outside written bytes');
    this.buf.writeInt32LE(v, offset);
    return this;
  }

  /** The bytes written so far, as a view; the writer must not be used afterwards. */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
