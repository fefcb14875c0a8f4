/**
 * BIN framing (bin_interface.c): `P4CK`, u32 total length (whole packet), i16 version of the
 * capability's format, u16-length capability name, i32 packet type, then the body. All LE.
 * The "12-byte header" comment in OpenSIPS is wrong; the fixed part is 10 bytes (README).
 */
import { ByteReader } from '../../lib/byte-reader.ts';
import { ByteWriter } from '../../lib/byte-writer.ts';
import { ok, type Result } from '../../lib/result.ts';
import { encodeLimit, wireErr, type WireError } from './errors.ts';
import { CAP_CLUSTERER_EXTRA, CAP_CLUSTERER_INTERNAL, CAP_USRLOC } from './types.ts';
import { HEADER_BYTES, MAX_CAPABILITY_NAME_BYTES, MAX_PACKET_BYTES, MIN_PACKET_BYTES } from './limits.ts';

/** A packet split into header fields and a body view (no copy). */
export interface BinFrame {
  readonly version: number;
  /** Capability name, one char per byte (latin1) so any name round-trips; known names are ASCII. */
  readonly capability: string;
  readonly type: number;
  /** The body: everything after the type, up to the end of the packet. */
  readonly body: Buffer;
  /** Offset of the body inside the packet (codecs read the packet from here, so offsets are absolute). */
  readonly bodyOffset: number;
  /** The whole packet. */
  readonly packet: Buffer;
}

/** Known capability names as bytes: decode compares bytes instead of building a string per packet. */
const KNOWN_NAMES: ReadonlyArray<readonly [string, Buffer]> = [CAP_CLUSTERER_INTERNAL, CAP_CLUSTERER_EXTRA, CAP_USRLOC].map(
  (n) => [n, Buffer.from(n, 'latin1')] as const,
);
const nameBytesCache = new Map<string, Buffer>(KNOWN_NAMES.map(([n, b]) => [n, b]));

function capabilityName(packet: Buffer, at: number, len: number): string {
  for (const [name, bytes] of KNOWN_NAMES) {
    if (bytes.length === len && packet.compare(bytes, 0, len, at, at + len) === 0) return name;
  }
  return packet.toString('latin1', at, at + len);
}

const MARKER0 = 0x50; // 'P'
const MARKER1 = 0x34; // '4'
const MARKER2 = 0x43; // 'C'
const MARKER3 = 0x4b; // 'K'

/** True when `buf[at..at+4)` is `P4CK`. */
export function hasMarkerAt(buf: Buffer, at: number): boolean {
  return buf[at] === MARKER0 && buf[at + 1] === MARKER1 && buf[at + 2] === MARKER2 && buf[at + 3] === MARKER3;
}

/** The marker byte expected at position i (0..3), for byte-by-byte checks in the reassembler. */
export function markerByte(i: number): number {
  return i === 0 ? MARKER0 : i === 1 ? MARKER1 : i === 2 ? MARKER2 : MARKER3;
}

/**
 * Checks a declared total length the way proto_bin does (bin_common.h): below MIN_BIN_PACKET_SIZE
 * or above BIN_MAX_BUF_LEN closes the connection.
 */
export function checkDeclaredLength(length: number, offset: number): WireError | undefined {
  if (length < MIN_PACKET_BYTES) {
    return { code: 'CLUSTER_WIRE_TOO_SHORT', message: `declared length ${length} below ${MIN_PACKET_BYTES}`, offset };
  }
  if (length > MAX_PACKET_BYTES) {
    return { code: 'CLUSTER_WIRE_TOO_LONG', message: `declared length ${length} above ${MAX_PACKET_BYTES}`, offset };
  }
  return undefined;
}

/** Splits one whole packet (exactly one: the declared length must equal the buffer length). */
export function decodeFrame(packet: Buffer): Result<BinFrame, WireError> {
  if (packet.length < MIN_PACKET_BYTES) {
    return wireErr('CLUSTER_WIRE_TOO_SHORT', `packet of ${packet.length} bytes below ${MIN_PACKET_BYTES}`, 0);
  }
  if (packet.length > MAX_PACKET_BYTES) {
    return wireErr('CLUSTER_WIRE_TOO_LONG', `packet of ${packet.length} bytes above ${MAX_PACKET_BYTES}`, 0);
  }
  if (!hasMarkerAt(packet, 0)) return wireErr('CLUSTER_WIRE_BAD_MARKER', 'packet does not start with P4CK', 0);
  const declared = packet.readUInt32LE(4);
  const bad = checkDeclaredLength(declared, 4);
  if (bad !== undefined) return { ok: false, error: bad };
  if (declared !== packet.length) {
    return wireErr('CLUSTER_WIRE_LENGTH_MISMATCH', `declared length ${declared}, packet has ${packet.length} bytes`, 4);
  }
  const r = new ByteReader(packet, 8);
  const version = r.i16();
  const nameLen = r.u16();
  if (nameLen === 0 || nameLen > MAX_CAPABILITY_NAME_BYTES) {
    return wireErr('CLUSTER_WIRE_BAD_CAPABILITY_NAME', `capability name length ${nameLen} not in 1..${MAX_CAPABILITY_NAME_BYTES}`, HEADER_BYTES);
  }
  const nameAt = r.offset;
  r.bytes(nameLen);
  const type = r.i32();
  if (r.failed) return wireErr('CLUSTER_WIRE_TRUNCATED', 'header runs past the end of the packet', HEADER_BYTES);
  const bodyOffset = r.offset;
  return ok({ version, capability: capabilityName(packet, nameAt, nameLen), type, body: packet.subarray(bodyOffset), bodyOffset, packet });
}

/** Starts a packet: writes the header with a length placeholder that `finishPacket` fills in. */
export function startPacket(capability: string, version: number, type: number, sizeHint = 128): ByteWriter {
  let name = nameBytesCache.get(capability);
  if (name === undefined) name = Buffer.from(capability, 'latin1');
  const nameLen = name.length;
  if (nameLen === 0 || nameLen > MAX_CAPABILITY_NAME_BYTES) throw encodeLimit(`capability name length ${nameLen}`);
  const w = new ByteWriter(sizeHint);
  w.u32(0x4b433450); // 'P4CK' read as a LE u32
  w.u32(0);
  w.i16(version);
  w.u16(nameLen);
  w.bytes(name);
  w.i32(type);
  return w;
}

/** Fills in the total length and returns the packet; refuses packets OpenSIPS would refuse. */
export function finishPacket(w: ByteWriter): Buffer {
  const len = w.length;
  if (len > MAX_PACKET_BYTES) throw encodeLimit(`packet of ${len} bytes above ${MAX_PACKET_BYTES}`);
  w.patchU32(4, len);
  return w.finish();
}
