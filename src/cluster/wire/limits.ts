/**
 * Named limits for BIN input. Every count and length read from the wire is checked against one of
 * these (and against the bytes actually left) before anything is allocated from it. Where OpenSIPS
 * has the same bound we use its value; where it has none, ours is generous for real clusters.
 */

/** Fixed header: marker (4) + total length (4) + version (2). The rest comes after. */
export const HEADER_BYTES = 10;

/** MIN_BIN_PACKET_SIZE in proto_bin: header + u16 name length + 1 name byte + i32 type = 17. */
export const MIN_PACKET_BYTES = 17;

/**
 * BIN_MAX_BUF_LEN in OpenSIPS 4.0: TCP_BUF_SIZE (65535) minus BIN_CL_RSV_SZ (20) of headroom.
 * proto_bin drops the connection on a larger declared length (bin_common.h bin_parse_headers).
 */
export const MAX_PACKET_BYTES = 65515;

/** Longest capability name we accept (ours; OpenSIPS's are ~20 bytes, e.g. 'usrloc-contact-repl'). */
export const MAX_CAPABILITY_NAME_BYTES = 64;

/** A BIN str has a u16 length; strs are also bounded by the packet itself. */
export const MAX_STR_BYTES = 0xffff;

/** Flooding path of LS_UPDATE / FULL_TOP_UPDATE / NODE_DESCRIPTION / CAP_UPDATE (UPDATE_MAX_PATH_LEN). */
export const MAX_PATH_LENGTH = 25;

/** Nodes in one cluster (node_info.h MAX_NO_NODES): bounds topology, PONG and CAP_UPDATE lists. */
export const MAX_NODES = 128;

/** Neighbors listed for one node in FULL_TOP_UPDATE (a node cannot have more than MAX_NODES - 1). */
export const MAX_NEIGHBORS = MAX_NODES;

/** Capabilities listed for one node in CAP_UPDATE (ours; a node registers a handful). */
export const MAX_CAPABILITIES_PER_NODE = 64;

/**
 * MI command parameters (clusterer.h MI_CMD_MAX_NR_PARAMS). OpenSIPS pops the received count into
 * a fixed array of this size without checking it; we reject larger counts.
 */
export const MAX_MI_PARAMS = 15;

/** ct_match PARAMS list length (ours; OpenSIPS has no bound). */
export const MAX_CT_MATCH_PARAMS = 32;

/** Sync chunks in one SYNC packet: each takes at least 8 bytes (size + marker), so 8189 fit. */
export const MAX_SYNC_CHUNKS_PER_PACKET = Math.floor(MAX_PACKET_BYTES / 8);

/** Read attempts one packet may take to arrive before the connection is dropped (bin_max_msg_chunks default). */
export const DEFAULT_MAX_CHUNKS_PER_PACKET = 32;
