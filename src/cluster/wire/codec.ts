/**
 * The one entry point for received packets: frame check, then dispatch on the capability name.
 * A capability we do not decode is a valid result of kind 'unknown-capability' (the caller drops
 * and counts it, as OpenSIPS drops packets nobody registered for); a malformed packet is a
 * WireError. Nothing here throws on input.
 */
import { ok, type Result } from '../../lib/result.ts';
import { decodeClustererExtra, encodeClustererExtra } from './clusterer-extra.ts';
import { decodeClustererInternal, encodeClustererInternal } from './clusterer-internal.ts';
import type { WireError } from './errors.ts';
import { decodeFrame } from './framing.ts';
import type { BinMessage, ClustererExtraMessage, ClustererInternalMessage, DecodedPacket, UsrlocMessage } from './messages.ts';
import { CAP_CLUSTERER_EXTRA, CAP_CLUSTERER_INTERNAL, CAP_USRLOC } from './types.ts';
import { decodeUsrloc, encodeUsrloc } from './usrloc-repl.ts';
import { CAP_SIPCLUSTER_MI, decodeSipclusterMi, encodeSipclusterMi, type SipclusterMiMessage } from './sipcluster-mi.ts';

/** Decodes exactly one whole packet (as the stream reassembler hands them out). */
export function decodeBinPacket(packet: Buffer): Result<DecodedPacket, WireError> {
  const f = decodeFrame(packet);
  if (!f.ok) return f;
  const frame = f.value;
  switch (frame.capability) {
    case CAP_CLUSTERER_INTERNAL:
      return decodeClustererInternal(frame);
    case CAP_CLUSTERER_EXTRA:
      return decodeClustererExtra(frame);
    case CAP_USRLOC:
      return decodeUsrloc(frame);
    case CAP_SIPCLUSTER_MI:
      return decodeSipclusterMi(frame);
    default:
      return ok({ kind: 'unknown-capability', capability: frame.capability, version: frame.version, type: frame.type, body: frame.body });
  }
}

const INTERNAL_KINDS = new Set<string>(['ping', 'pong', 'unknown-id', 'node-description', 'ls-update', 'full-top-update', 'cap-update']);
const USRLOC_KINDS = new Set<string>(['urecord-insert', 'urecord-delete', 'ucontact-insert', 'ucontact-update', 'ucontact-delete']);

/** Encodes any message we speak. Throws (CLUSTER_WIRE_ENCODE_LIMIT) only on fields that break a limit. */
export function encodeBinMessage(msg: BinMessage): Buffer {
  if (INTERNAL_KINDS.has(msg.kind)) return encodeClustererInternal(msg as ClustererInternalMessage);
  if (USRLOC_KINDS.has(msg.kind)) return encodeUsrloc(msg as UsrlocMessage);
  if (msg.kind === 'mi-ticket' || msg.kind === 'mi-result') return encodeSipclusterMi(msg as SipclusterMiMessage);
  return encodeClustererExtra(msg as ClustererExtraMessage);
}
