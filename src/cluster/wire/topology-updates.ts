/**
 * The two big flooded clusterer-internal messages, FULL_TOP_UPDATE and CAP_UPDATE (topology.c
 * send_full_top_update / send_cap_update), and the forwarding rule for every flooded message.
 * Counts are checked against MAX_NODES / MAX_NEIGHBORS / MAX_CAPABILITIES_PER_NODE and against
 * the bytes left before any list is allocated (OpenSIPS trusts them).
 */
import type { ByteReader } from '../../lib/byte-reader.ts';
import type { ByteWriter } from '../../lib/byte-writer.ts';
import { encodeLimit } from './errors.ts';
import { checkCount, readCount, readFlag, readPath, readText, writePath, type DecodeState } from './fields.ts';
import { finishPacket, startPacket } from './framing.ts';
import { MAX_CAPABILITIES_PER_NODE, MAX_NEIGHBORS, MAX_NODES, MAX_PATH_LENGTH } from './limits.ts';
import type {
  CapabilityState,
  CapUpdateMessage,
  FullTopUpdateMessage,
  LsUpdateMessage,
  NodeCapabilities,
  NodeDescriptionFields,
  NodeDescriptionMessage,
  TopologyNodeEntry,
} from './messages.ts';
import { CAP_CLUSTERER_INTERNAL, CLUSTERER_BIN_VERSION, CLUSTERER_CAP_UPDATE, CLUSTERER_FULL_TOP_UPDATE } from './types.ts';

/** Smallest FULL_TOP_UPDATE node entry: node_id, has_descr, ls_seq_no, ls_timestamp, no_neigh. */
const MIN_TOP_NODE_BYTES = 20;
/** Smallest CAP_UPDATE node entry: node_id, nr_cap. */
const MIN_CAP_NODE_BYTES = 8;
/** Smallest capability entry: empty name (u16) + state. */
const MIN_CAP_BYTES = 6;

/** url, sip_addr, priority, no_ping_retries (NODE_DESCRIPTION and FULL_TOP_UPDATE entries). */
export function readDescription(r: ByteReader, st: DecodeState): NodeDescriptionFields {
  const url = readText(r, st, 'url');
  const sipAddr = readText(r, st, 'sip_addr');
  const priority = r.i32();
  const noPingRetries = r.i32();
  return { url, sipAddr, priority, noPingRetries };
}

export function writeDescription(w: ByteWriter, d: NodeDescriptionFields): void {
  w.str(d.url).str(d.sipAddr).i32(d.priority).i32(d.noPingRetries);
}

export function decodeFullTopUpdate(r: ByteReader, st: DecodeState, clusterId: number, sourceNodeId: number): FullTopUpdateMessage {
  const topSeqNo = r.i32();
  const timestampS = r.i32();
  const n = readCount(r, st, 'no_nodes', MAX_NODES, MIN_TOP_NODE_BYTES);
  const nodes: TopologyNodeEntry[] = [];
  for (let i = 0; i < n && !r.failed && st.error === undefined; i++) {
    const nodeId = r.i32();
    const hasDescription = readFlag(r, st, 'has_descr');
    const description = hasDescription ? readDescription(r, st) : undefined;
    const lsSeqNo = r.i32();
    const lsTimestampS = r.i32();
    const nn = readCount(r, st, 'no_neigh', MAX_NEIGHBORS, 4);
    const neighborIds = new Array<number>(nn);
    for (let j = 0; j < nn; j++) neighborIds[j] = r.i32();
    nodes.push({ nodeId, description, lsSeqNo, lsTimestampS, neighborIds });
  }
  const path = readPath(r, st);
  return { kind: 'full-top-update', clusterId, sourceNodeId, topSeqNo, timestampS, nodes, path };
}

export function encodeFullTopUpdate(msg: FullTopUpdateMessage): Buffer {
  checkCount('no_nodes', msg.nodes.length, MAX_NODES);
  const w = startPacket(CAP_CLUSTERER_INTERNAL, CLUSTERER_BIN_VERSION, CLUSTERER_FULL_TOP_UPDATE, 64 + 48 * msg.nodes.length);
  w.i32(msg.clusterId).i32(msg.sourceNodeId).i32(msg.topSeqNo).i32(msg.timestampS).i32(msg.nodes.length);
  for (const node of msg.nodes) {
    checkCount('no_neigh', node.neighborIds.length, MAX_NEIGHBORS);
    w.i32(node.nodeId);
    if (node.description === undefined) {
      w.i32(0);
    } else {
      w.i32(1);
      writeDescription(w, node.description);
    }
    w.i32(node.lsSeqNo).i32(node.lsTimestampS).i32(node.neighborIds.length);
    for (const id of node.neighborIds) w.i32(id);
  }
  writePath(w, msg.path);
  return finishPacket(w);
}

export function decodeCapUpdate(r: ByteReader, st: DecodeState, clusterId: number, sourceNodeId: number): CapUpdateMessage {
  const capSeqNo = r.i32();
  const timestampS = r.i32();
  const n = readCount(r, st, 'nr_nodes', MAX_NODES, MIN_CAP_NODE_BYTES);
  const nodes: NodeCapabilities[] = [];
  for (let i = 0; i < n && !r.failed && st.error === undefined; i++) {
    const nodeId = r.i32();
    const nc = readCount(r, st, 'nr_cap', MAX_CAPABILITIES_PER_NODE, MIN_CAP_BYTES);
    const capabilities: CapabilityState[] = [];
    for (let j = 0; j < nc && !r.failed && st.error === undefined; j++) {
      const name = readText(r, st, 'cap_name');
      const synced = readFlag(r, st, 'cap state');
      capabilities.push({ name, synced });
    }
    nodes.push({ nodeId, capabilities });
  }
  const requireReply = readFlag(r, st, 'require_reply');
  const path = readPath(r, st);
  return { kind: 'cap-update', clusterId, sourceNodeId, capSeqNo, timestampS, nodes, requireReply, path };
}

export function encodeCapUpdate(msg: CapUpdateMessage): Buffer {
  checkCount('nr_nodes', msg.nodes.length, MAX_NODES);
  const w = startPacket(CAP_CLUSTERER_INTERNAL, CLUSTERER_BIN_VERSION, CLUSTERER_CAP_UPDATE, 160);
  w.i32(msg.clusterId).i32(msg.sourceNodeId).i32(msg.capSeqNo).i32(msg.timestampS).i32(msg.nodes.length);
  for (const node of msg.nodes) {
    checkCount('nr_cap', node.capabilities.length, MAX_CAPABILITIES_PER_NODE);
    w.i32(node.nodeId).i32(node.capabilities.length);
    for (const cap of node.capabilities) w.str(cap.name).i32(cap.synced ? 1 : 0);
  }
  w.i32(msg.requireReply ? 1 : 0);
  writePath(w, msg.path);
  return finishPacket(w);
}

export type FloodedMessage = LsUpdateMessage | FullTopUpdateMessage | NodeDescriptionMessage | CapUpdateMessage;

/**
 * What a forwarder sends on: the same message with its own id appended to the path
 * (topology.c flood_message), and for CAP_UPDATE require_reply reset to false
 * (vectors 01 #36 → #41, 05 #26 → #32; 04 #27 is 04 #... as forwarded by node 1, 4 bytes longer).
 * Returns undefined when the path is full: the message must not travel further.
 */
export function forwardFlooded<M extends FloodedMessage>(msg: M, forwarderNodeId: number): M | undefined {
  if (msg.path.length >= MAX_PATH_LENGTH) return undefined;
  const path = [...msg.path, forwarderNodeId];
  if (msg.kind === 'cap-update') return { ...msg, path, requireReply: false };
  return { ...msg, path };
}

/** Nodes a flooded message must not be sent to: those already on its path. */
export function alreadyOnPath(msg: FloodedMessage, nodeId: number): boolean {
  return msg.path.includes(nodeId);
}

