/**
 * A small classic-pcap reader for the golden tests: link types null/loopback (0), Ethernet (1,
 * with 802.1Q tags), raw IP (101), Linux cooked v1 (113) and v2 (276); IPv4 and IPv6 (no
 * extension headers); TCP only. Each direction of each connection is reassembled by sequence
 * number (retransmissions and overlaps dropped, a new SYN starts a new stream), then cut into BIN
 * packets by their own length field. Test code only: it trusts its input and throws on surprises.
 */

export interface TcpSegment {
  readonly frame: number; // 1-based frame number in the pcap
  readonly timeUs: bigint;
  readonly flow: string; // 'ip:port -> ip:port'
  readonly seq: number;
  readonly syn: boolean;
  readonly payload: Buffer;
}

export interface StreamPacket {
  readonly frame: number; // frame holding the packet's first byte
  readonly flow: string;
  readonly bytes: Buffer;
}

export interface PcapContents {
  readonly linkType: number;
  readonly frames: number;
  readonly segments: TcpSegment[];
}

export function readPcap(file: Buffer): PcapContents {
  const magic = file.readUInt32LE(0);
  let le: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
  else throw new Error(`not a classic pcap (magic ${magic.toString(16)})`);
  const nanos = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const u32 = (o: number): number => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));
  const linkType = u32(20) & 0x0fffffff;
  const segments: TcpSegment[] = [];
  let off = 24;
  let frame = 0;
  while (off + 16 <= file.length) {
    frame++;
    const sec = BigInt(u32(off));
    const frac = BigInt(u32(off + 4));
    const incl = u32(off + 8);
    const data = file.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    const timeUs = sec * 1_000_000n + (nanos ? frac / 1000n : frac);
    const ip = linkPayload(linkType, data);
    if (ip === undefined) continue;
    const seg = tcpSegment(ip, frame, timeUs);
    if (seg !== undefined) segments.push(seg);
  }
  return { linkType, frames: frame, segments };
}

/** The network-layer bytes of a frame, or undefined when it is not IP. */
function linkPayload(linkType: number, d: Buffer): Buffer | undefined {
  switch (linkType) {
    case 0: // BSD loopback: 4-byte address family in the capturing host's order
      return d.subarray(4);
    case 1: {
      let type = d.readUInt16BE(12);
      let at = 14;
      while (type === 0x8100 || type === 0x88a8) {
        type = d.readUInt16BE(at + 2);
        at += 4;
      }
      return type === 0x0800 || type === 0x86dd ? d.subarray(at) : undefined;
    }
    case 101:
      return d;
    case 113: {
      const type = d.readUInt16BE(14);
      return type === 0x0800 || type === 0x86dd ? d.subarray(16) : undefined;
    }
    case 276: {
      const type = d.readUInt16BE(0);
      return type === 0x0800 || type === 0x86dd ? d.subarray(20) : undefined;
    }
    default:
      throw new Error(`pcap link type ${linkType} not supported`);
  }
}

function tcpSegment(ip: Buffer, frame: number, timeUs: bigint): TcpSegment | undefined {
  const version = ip[0]! >> 4;
  let src: string;
  let dst: string;
  let tcp: Buffer;
  if (version === 4) {
    const ihl = (ip[0]! & 0x0f) * 4;
    if (ip[9] !== 6) return undefined;
    const total = ip.readUInt16BE(2); // trims Ethernet padding
    src = `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
    dst = `${ip[16]}.${ip[17]}.${ip[18]}.${ip[19]}`;
    tcp = ip.subarray(ihl, total);
  } else if (version === 6) {
    if (ip[6] !== 6) return undefined;
    const hex = (b: Buffer): string => `[${b.toString('hex').match(/.{4}/g)!.join(':')}]`;
    src = hex(ip.subarray(8, 24));
    dst = hex(ip.subarray(24, 40));
    tcp = ip.subarray(40, 40 + ip.readUInt16BE(4));
  } else {
    return undefined;
  }
  const sport = tcp.readUInt16BE(0);
  const dport = tcp.readUInt16BE(2);
  const seq = tcp.readUInt32BE(4);
  const dataOff = (tcp[12]! >> 4) * 4;
  const syn = (tcp[13]! & 0x02) !== 0;
  return { frame, timeUs, flow: `${src}:${sport} -> ${dst}:${dport}`, seq, syn, payload: tcp.subarray(dataOff) };
}

/** One direction's byte stream, with the frame each byte range came from. */
export interface TcpStream {
  readonly flow: string;
  readonly bytes: Buffer;
  /** [stream offset, frame] for each contributing segment, in stream order. */
  readonly frameAt: Array<[number, number]>;
  readonly gaps: number;
}

/** Reassembles every direction by sequence number; a SYN on a known flow starts a new stream. */
export function tcpStreams(segments: readonly TcpSegment[]): TcpStream[] {
  type Acc = { flow: string; isn: number | undefined; segs: Array<{ rel: number; seg: TcpSegment }> };
  const open = new Map<string, Acc>();
  const all: Acc[] = [];
  for (const seg of segments) {
    let acc = open.get(seg.flow);
    if (seg.syn || acc === undefined) {
      if (seg.syn || acc === undefined) {
        acc = { flow: seg.flow, isn: seg.syn ? (seg.seq + 1) >>> 0 : seg.seq, segs: [] };
        open.set(seg.flow, acc);
        all.push(acc);
      }
    }
    if (seg.payload.length === 0) continue;
    const rel = (seg.seq - acc.isn! + 0x1_0000_0000) % 0x1_0000_0000;
    acc.segs.push({ rel, seg });
  }
  return all.map((acc) => {
    const sorted = [...acc.segs].sort((a, b) => a.rel - b.rel || a.seg.frame - b.seg.frame);
    const parts: Buffer[] = [];
    const frameAt: Array<[number, number]> = [];
    let next = 0;
    let gaps = 0;
    for (const { rel, seg } of sorted) {
      const end = rel + seg.payload.length;
      if (end <= next) continue; // retransmission
      if (rel > next) gaps++;
      const skip = Math.max(0, next - rel);
      frameAt.push([next, seg.frame]);
      parts.push(seg.payload.subarray(skip));
      next = end;
    }
    return { flow: acc.flow, bytes: Buffer.concat(parts), frameAt, gaps };
  });
}

function frameOf(stream: TcpStream, offset: number): number {
  let f = 0;
  for (const [at, frame] of stream.frameAt) {
    if (at > offset) break;
    f = frame;
  }
  return f;
}

/** Cuts a stream into BIN packets by marker + length; throws on anything that is not BIN. */
export function binPackets(stream: TcpStream): StreamPacket[] {
  const out: StreamPacket[] = [];
  let at = 0;
  const b = stream.bytes;
  while (at < b.length) {
    if (b.length - at < 8 || b.toString('latin1', at, at + 4) !== 'P4CK') {
      throw new Error(`${stream.flow}: no BIN packet at stream offset ${at}`);
    }
    const len = b.readUInt32LE(at + 4);
    if (len < 8 || at + len > b.length) throw new Error(`${stream.flow}: truncated BIN packet at ${at}`);
    out.push({ frame: frameOf(stream, at), flow: stream.flow, bytes: b.subarray(at, at + len) });
    at += len;
  }
  return out;
}

/** Every BIN packet of a pcap (TCP streams on BIN ports), ordered by the frame that starts it. */
export function pcapBinPackets(file: Buffer, isBinFlow: (flow: string) => boolean): StreamPacket[] {
  const { segments } = readPcap(file);
  const packets: StreamPacket[] = [];
  for (const s of tcpStreams(segments)) if (isBinFlow(s.flow)) packets.push(...binPackets(s));
  return packets.sort((a, b) => a.frame - b.frame);
}
