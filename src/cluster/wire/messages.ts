/**
 * The decoded form of every BIN message we speak: a discriminated union on `kind`.
 * Field names say what the field is; comments give OpenSIPS's wire name where it differs.
 * Every field needed to re-encode the same bytes is kept (decode then encode is byte-identical).
 * Payload strs are Buffer views into the received packet: the packet must not be reused while
 * they are alive (the stream reassembler never reuses packet memory).
 */

import type { SipclusterMiMessage } from './sipcluster-mi.ts';

/** Node description carried by NODE_DESCRIPTION and inside FULL_TOP_UPDATE. */
export interface NodeDescriptionFields {
  readonly url: string; // e.g. 'bin:127.0.0.1:5572'
  readonly sipAddr: string; // '' when not configured
  readonly priority: number;
  readonly noPingRetries: number; // no_ping_retries
}

// ---- clusterer-internal (neighbor to neighbor; body starts with cluster_id, source node id) ----

interface InternalBase {
  readonly clusterId: number;
  readonly sourceNodeId: number;
}

/** Flooded messages end with the path of nodes that already saw them (topology.c flood_message). */
interface Flooded {
  readonly path: readonly number[];
}

export interface PingMessage extends InternalBase {
  readonly kind: 'ping';
  readonly requestNodeList: boolean; // req_node_list
}

export interface PongMessage extends InternalBase {
  readonly kind: 'pong';
  /** Known nodes other than the pinger; empty unless the PING asked (handle_ping). */
  readonly knownNodeIds: readonly number[];
}

export interface UnknownIdMessage extends InternalBase {
  readonly kind: 'unknown-id';
}

export interface NodeDescriptionMessage extends InternalBase, Flooded, NodeDescriptionFields {
  readonly kind: 'node-description';
}

export type LinkState = 'up' | 'down';

export interface LsUpdateMessage extends InternalBase, Flooded {
  readonly kind: 'ls-update';
  readonly lsSeqNo: number;
  readonly timestampS: number; // unix seconds
  readonly neighborNodeId: number; // neighbour_id
  readonly linkState: LinkState; // new_ls: 0 LS_UP, 1 LS_DOWN
}

export interface TopologyNodeEntry {
  readonly nodeId: number;
  /** Present when has_descr = 1 (nodes the receiver did not list in its PONG). */
  readonly description: NodeDescriptionFields | undefined;
  readonly lsSeqNo: number;
  readonly lsTimestampS: number;
  readonly neighborIds: readonly number[];
}

export interface FullTopUpdateMessage extends InternalBase, Flooded {
  readonly kind: 'full-top-update';
  readonly topSeqNo: number;
  readonly timestampS: number;
  readonly nodes: readonly TopologyNodeEntry[];
}

export interface CapabilityState {
  readonly name: string;
  readonly synced: boolean; // state: 1 OK, 0 not OK
}

export interface NodeCapabilities {
  readonly nodeId: number;
  readonly capabilities: readonly CapabilityState[];
}

export interface CapUpdateMessage extends InternalBase, Flooded {
  readonly kind: 'cap-update';
  readonly capSeqNo: number;
  readonly timestampS: number;
  readonly nodes: readonly NodeCapabilities[];
  /** Reset to false by every forwarder (topology.c, vectors 01 #36 → #41). */
  readonly requireReply: boolean;
}

export type ClustererInternalMessage =
  | PingMessage
  | PongMessage
  | UnknownIdMessage
  | NodeDescriptionMessage
  | LsUpdateMessage
  | FullTopUpdateMessage
  | CapUpdateMessage;

// ---- routed messages (clusterer-extra and module capabilities): 12-byte trailer at the end ----

/** `cluster_id, source_node_id, destination_node_id` popped from the end (msg_add_trailer). */
export interface RoutingTrailer {
  readonly clusterId: number;
  readonly sourceNodeId: number;
  /** Real destination on the wire; -1 only before OpenSIPS's per-node rewrite. */
  readonly destinationNodeId: number;
  /** Only with destination AGG_DST_ID (4.0 cluster bridges): one more int before the trailer. */
  readonly bridgeSourceClusterId?: number;
}

export interface GenericMessage extends RoutingTrailer {
  readonly kind: 'generic-msg';
  readonly isRequest: boolean; // req_like: 1 request, 0 reply
  readonly tag: string; // '<cluster>-<node>-<24 random>', echoed in replies
  readonly payload: Buffer; // the script's string, as bytes
}

export interface MiCmdMessage extends RoutingTrailer {
  readonly kind: 'mi-cmd';
  readonly command: string;
  readonly params: readonly string[];
}

export interface RemoveNodeMessage extends RoutingTrailer {
  readonly kind: 'remove-node';
  readonly targetNodeId: number;
}

export interface ShtagActiveMessage extends RoutingTrailer {
  readonly kind: 'shtag-active';
  readonly tagName: string;
}

export interface SyncReqMessage extends RoutingTrailer {
  readonly kind: 'sync-req';
  readonly capability: string;
}

export interface SyncMessage extends RoutingTrailer {
  readonly kind: 'sync';
  readonly capability: string;
  readonly dataVersion: number; // the capability's own BIN version (UL_BIN_VERSION for usrloc)
  /** Chunk data after each size+marker; usrloc chunks decode with decodeUsrlocSyncChunk. */
  readonly chunks: readonly Buffer[];
}

export interface SyncEndMessage extends RoutingTrailer {
  readonly kind: 'sync-end';
  readonly capability: string;
  readonly totalChunks: number;
}

export type ClustererExtraMessage =
  | GenericMessage
  | MiCmdMessage
  | RemoveNodeMessage
  | ShtagActiveMessage
  | SyncReqMessage
  | SyncMessage
  | SyncEndMessage;

// ---- usrloc-contact-repl (UL_BIN_VERSION 5) ----

/** ct_match: mode (-1 NONE, 0 CONTACT_ONLY, 1 CONTACT_CALLID, 2 PARAMS), params only for PARAMS. */
export interface ContactMatch {
  readonly mode: number;
  readonly params: readonly Buffer[];
}

export interface UrecordFields {
  readonly domain: Buffer; // usrloc table, e.g. 'location'
  readonly aor: Buffer;
  readonly label: number;
  readonly nextClabel: number; // next_clabel
  readonly kvStorage: Buffer; // JSON, often empty
}

export interface UcontactFields {
  readonly domain: Buffer;
  readonly aor: Buffer;
  readonly contact: Buffer; // contact URI
  /** Raw native values pushed as strs (README): u64, time_t, int, time_t — little-endian here. */
  readonly contactId: bigint;
  readonly callId: Buffer;
  readonly userAgent: Buffer;
  readonly path: Buffer;
  readonly attr: Buffer;
  readonly received: Buffer;
  readonly instance: Buffer;
  readonly expiresS: bigint;
  readonly q: number; // -1 = Q_UNSPECIFIED
  readonly socket: Buffer; // '' when the sender holds the contact only by replication
  readonly cseq: number;
  readonly flags: number; // u32 bitmask
  readonly cflags: Buffer;
  readonly methods: number; // u32 bitmask, 0xffffffff = all
  readonly lastModifiedS: bigint;
  readonly kvStorage: Buffer;
  readonly contactMatch: ContactMatch;
}

export interface UrecordInsertMessage extends RoutingTrailer, UrecordFields {
  readonly kind: 'urecord-insert';
}

export interface UrecordDeleteMessage extends RoutingTrailer {
  readonly kind: 'urecord-delete';
  readonly domain: Buffer;
  readonly aor: Buffer;
}

export interface UcontactInsertMessage extends RoutingTrailer, UcontactFields {
  readonly kind: 'ucontact-insert';
}

/** Same fields as insert; on the wire contact_id moves after kv_storage (README). */
export interface UcontactUpdateMessage extends RoutingTrailer, UcontactFields {
  readonly kind: 'ucontact-update';
}

export interface UcontactDeleteMessage extends RoutingTrailer {
  readonly kind: 'ucontact-delete';
  readonly domain: Buffer;
  readonly aor: Buffer;
  readonly contact: Buffer;
  readonly callId: Buffer;
  readonly cseq: number; // the stored CSeq
  readonly contactMatch: ContactMatch;
}

export type UsrlocMessage =
  | UrecordInsertMessage
  | UrecordDeleteMessage
  | UcontactInsertMessage
  | UcontactUpdateMessage
  | UcontactDeleteMessage;

/** A usrloc record inside a SYNC chunk: kind 0 AoR, 1 contact (ul_cluster.c). */
export type UsrlocSyncRecord =
  | ({ readonly kind: 'urecord' } & UrecordFields)
  | ({ readonly kind: 'ucontact' } & UcontactFields);

// ---- everything ----

/** A well-formed packet on a capability we do not decode: the caller drops it and counts it. */
export interface UnknownCapabilityMessage {
  readonly kind: 'unknown-capability';
  readonly capability: string;
  readonly version: number;
  readonly type: number;
  readonly body: Buffer;
}

/** Our own capability (sipcluster-mi.ts): only sipcluster nodes decode it. */
export type BinMessage = ClustererInternalMessage | ClustererExtraMessage | UsrlocMessage | SipclusterMiMessage;
export type DecodedPacket = BinMessage | UnknownCapabilityMessage;
export type BinMessageKind = BinMessage['kind'];
