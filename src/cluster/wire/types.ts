/**
 * OpenSIPS's BIN names and numbers. These are wire facts: they never change and this file is
 * append-only. Sources: clusterer.h (`clusterer_msg_type`), ul_cluster.h, bin_interface.h,
 * and the capture README (OpenSIPS 4.0.1, same values in 3.6.8).
 */

/** Start of every BIN packet (bin_interface.h BIN_PACKET_MARKER). */
export const BIN_MARKER = 'P4CK';
export const BIN_MARKER_BYTES = Buffer.from(BIN_MARKER, 'latin1');

/** Capability names that multiplex one BIN connection. */
export const CAP_CLUSTERER_INTERNAL = 'clusterer-internal';
export const CAP_CLUSTERER_EXTRA = 'clusterer-extra';
export const CAP_USRLOC = 'usrloc-contact-repl';

/** Header versions: each capability versions its own format (not BIN as a whole). */
export const CLUSTERER_BIN_VERSION = 1; // clusterer BIN_VERSION
export const CLUSTERER_SYNC_VERSION = 3; // clusterer BIN_SYNC_VERSION
export const UL_BIN_VERSION = 5; // usrloc UL_BIN_VERSION (3.6 and 4.0)

/** clusterer_msg_type (clusterer.h, OpenSIPS 3.2+): shared by clusterer-internal and -extra. */
export const CLUSTERER_PING = 0;
export const CLUSTERER_PONG = 1;
export const CLUSTERER_LS_UPDATE = 2;
export const CLUSTERER_FULL_TOP_UPDATE = 3;
export const CLUSTERER_UNKNOWN_ID = 4;
export const CLUSTERER_NODE_DESCRIPTION = 5;
export const CLUSTERER_REMOVE_NODE = 6;
export const CLUSTERER_GENERIC_MSG = 7;
export const CLUSTERER_MI_CMD = 8;
export const CLUSTERER_CAP_UPDATE = 9;
export const CLUSTERER_SYNC_REQ = 10;
export const CLUSTERER_SYNC = 11;
export const CLUSTERER_SYNC_END = 12;
export const CLUSTERER_SHTAG_ACTIVE = 13;

/** usrloc replication packet types (ul_cluster.h). */
export const REPL_URECORD_INSERT = 1;
export const REPL_URECORD_DELETE = 2;
export const REPL_UCONTACT_INSERT = 3;
export const REPL_UCONTACT_UPDATE = 4;
export const REPL_UCONTACT_DELETE = 5;

/** Link states carried by LS_UPDATE (clusterer_link_state: LS_UP = 0, LS_DOWN = 1). */
export const LS_UP = 0;
export const LS_DOWN = 1;

/** Marker before every sync chunk (sync.c SYNC_CHUNK_START_MARKER = 101010101). */
export const SYNC_CHUNK_START_MARKER = 101010101;

/** Destination id for inter-cluster bridge traffic (4.0 AGG_DST_ID = 0xC0000000, as an i32). */
export const AGG_DST_ID = 0xc0000000 | 0;

/** Destination written by OpenSIPS's send_all before the per-node rewrite ("dummy"). */
export const DUMMY_DST_ID = -1;

/** usrloc ct_match modes (CT_MATCH_*). */
export const CT_MATCH_NONE = -1;
export const CT_MATCH_CONTACT_ONLY = 0;
export const CT_MATCH_CONTACT_CALLID = 1;
export const CT_MATCH_PARAMS = 2;

/** usrloc sync chunk kinds (ul_cluster.c receive_sync_request: 0 AoR, 1 contact). */
export const UL_SYNC_KIND_URECORD = 0;
export const UL_SYNC_KIND_UCONTACT = 1;

/** Names for logs and listings, by capability then type. */
export const CLUSTERER_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'PING', 1: 'PONG', 2: 'LS_UPDATE', 3: 'FULL_TOP_UPDATE', 4: 'UNKNOWN_ID',
  5: 'NODE_DESCRIPTION', 6: 'REMOVE_NODE', 7: 'GENERIC_MSG', 8: 'MI_CMD', 9: 'CAP_UPDATE',
  10: 'SYNC_REQ', 11: 'SYNC', 12: 'SYNC_END', 13: 'SHTAG_ACTIVE',
};

export const USRLOC_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'URECORD_INSERT', 2: 'URECORD_DELETE', 3: 'UCONTACT_INSERT', 4: 'UCONTACT_UPDATE',
  5: 'UCONTACT_DELETE',
};
