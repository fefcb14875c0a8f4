/**
 * Public API of src/cluster/wire: OpenSIPS BIN framing and codecs, limits, error codes and the
 * stream reassembler. Other cluster folders import from here only.
 */
export * from './types.ts';
export * from './limits.ts';
export type { WireError, WireErrorCode } from './errors.ts';
export type * from './messages.ts';
export { decodeFrame, type BinFrame } from './framing.ts';
export { decodeBinPacket, encodeBinMessage } from './codec.ts';
export { decodeClustererInternal, encodeClustererInternal } from './clusterer-internal.ts';
export { alreadyOnPath, forwardFlooded, type FloodedMessage } from './topology-updates.ts';
export { decodeClustererExtra, encodeClustererExtra } from './clusterer-extra.ts';
export { readTrailer, withDestination, TRAILER_BYTES, type SplitTrailer } from './routing-trailer.ts';
export { syncChunkWireBytes } from './sync.ts';
export { decodeUsrloc, encodeUsrloc } from './usrloc-repl.ts';
export { decodeUsrlocSyncChunk, encodeUsrlocSyncChunk } from './usrloc-sync.ts';
export {
  CAP_SIPCLUSTER_MI,
  SIPCLUSTER_MI_VERSION,
  decodeSipclusterMi,
  encodeSipclusterMi,
  type MiResultStatus,
  type MiResultMessage,
  type MiTicketMessage,
  type SipclusterMiMessage,
} from './sipcluster-mi.ts';
export {
  StreamReassembler,
  type ReassemblerOptions,
  type FeedResult,
} from './stream-reassembler.ts';
