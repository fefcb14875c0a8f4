/**
 * The routing trailer of clusterer-extra and every module capability (clusterer.c
 * msg_add_trailer): `cluster_id, source_node_id, destination_node_id` as the last 12 bytes,
 * popped from the end by the receiver (bin_pop_back_int). With destination AGG_DST_ID (4.0 cluster
 * bridges) one more int, the source cluster, sits before it (README; not captured, not verified
 * against a packet). Payload decoders read the body up to `payloadEnd`.
 */
import type { ByteWriter } from '../../lib/byte-writer.ts';
import { ok, type Result } from '../../lib/result.ts';
import { wireErr, type WireError } from './errors.ts';
import type { BinFrame } from './framing.ts';
import type { RoutingTrailer } from './messages.ts';
import { AGG_DST_ID } from './types.ts';

export const TRAILER_BYTES = 12;

export interface SplitTrailer {
  readonly trailer: RoutingTrailer;
  /** Absolute offset in the packet where the trailer (or the bridge int) starts. */
  readonly payloadEnd: number;
}

/** Pops the trailer off the end of the body. Never reads before the body start. */
export function readTrailer(frame: BinFrame): Result<SplitTrailer, WireError> {
  const p = frame.packet;
  const end = p.length;
  if (end - frame.bodyOffset < TRAILER_BYTES) {
    return wireErr('CLUSTER_WIRE_TRUNCATED', `body of ${end - frame.bodyOffset} bytes has no room for the 12-byte trailer`, frame.bodyOffset);
  }
  const destinationNodeId = p.readInt32LE(end - 4);
  const sourceNodeId = p.readInt32LE(end - 8);
  const clusterId = p.readInt32LE(end - 12);
  if (destinationNodeId !== AGG_DST_ID) {
    return ok({ trailer: { clusterId, sourceNodeId, destinationNodeId }, payloadEnd: end - TRAILER_BYTES });
  }
  if (end - frame.bodyOffset < TRAILER_BYTES + 4) {
    return wireErr('CLUSTER_WIRE_TRUNCATED', 'bridge trailer without its source cluster id', frame.bodyOffset);
  }
  const bridgeSourceClusterId = p.readInt32LE(end - 16);
  return ok({ trailer: { clusterId, sourceNodeId, destinationNodeId, bridgeSourceClusterId }, payloadEnd: end - TRAILER_BYTES - 4 });
}

export function writeTrailer(w: ByteWriter, t: RoutingTrailer): void {
  if (t.destinationNodeId === AGG_DST_ID) {
    if (t.bridgeSourceClusterId === undefined) throw new RangeError('AGG_DST_ID trailer needs bridgeSourceClusterId');
    w.i32(t.bridgeSourceClusterId);
  }
  w.i32(t.clusterId).i32(t.sourceNodeId).i32(t.destinationNodeId);
}

/** Copies only the trailer fields of a routed message (drops kind and payload fields). */
export function trailerOf(m: RoutingTrailer): RoutingTrailer {
  return m.bridgeSourceClusterId === undefined
    ? { clusterId: m.clusterId, sourceNodeId: m.sourceNodeId, destinationNodeId: m.destinationNodeId }
    : { clusterId: m.clusterId, sourceNodeId: m.sourceNodeId, destinationNodeId: m.destinationNodeId, bridgeSourceClusterId: m.bridgeSourceClusterId };
}

/**
 * A copy of an encoded routed packet with another destination: what OpenSIPS does before each
 * send of a broadcast (msg_send_retry with change_dest = 1 rewrites the last int). Lets a node
 * relay or fan out a packet without decoding and re-encoding it.
 */
export function withDestination(packet: Buffer, destinationNodeId: number): Buffer {
  if (packet.length < TRAILER_BYTES) throw new RangeError('packet too short for a trailer');
  const copy = Buffer.from(packet);
  copy.writeInt32LE(destinationNodeId, copy.length - 4);
  return copy;
}
