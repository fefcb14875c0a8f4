/**
 * clusterer-internal, the small messages: PING, PONG, UNKNOWN_ID, NODE_DESCRIPTION, LS_UPDATE.
 * Body = cluster_id, source node id, then type-specific fields (bin_rcv_cl_packets pops them
 * forward); the flooded ones end with path_len + path. Header version must be BIN_VERSION (1).
 * FULL_TOP_UPDATE and CAP_UPDATE live in topology-updates.ts.
 */
import { ByteReader } from '../../lib/byte-reader.ts';
import { ok, type Result } from '../../lib/result.ts';
import { wireErr, wireError, type WireError } from './errors.ts';
import { checkCount, checkDone, newState, readCount, readPath, writePath } from './fields.ts';
import { finishPacket, startPacket, type BinFrame } from './framing.ts';
import { MAX_NODES } from './limits.ts';
import type {
  ClustererInternalMessage,
  LsUpdateMessage,
  NodeDescriptionMessage,
  PingMessage,
  PongMessage,
  UnknownIdMessage,
} from './messages.ts';
import {
  decodeCapUpdate,
  decodeFullTopUpdate,
  encodeCapUpdate,
  encodeFullTopUpdate,
  readDescription,
  writeDescription,
} from './topology-updates.ts';
import {
  CAP_CLUSTERER_INTERNAL,
  CLUSTERER_BIN_VERSION,
  CLUSTERER_CAP_UPDATE,
  CLUSTERER_FULL_TOP_UPDATE,
  CLUSTERER_LS_UPDATE,
  CLUSTERER_NODE_DESCRIPTION,
  CLUSTERER_PING,
  CLUSTERER_PONG,
  CLUSTERER_UNKNOWN_ID,
  LS_DOWN,
  LS_UP,
} from './types.ts';

export function decodeClustererInternal(frame: BinFrame): Result<ClustererInternalMessage, WireError> {
  if (frame.version !== CLUSTERER_BIN_VERSION) {
    return wireErr('CLUSTER_WIRE_BAD_VERSION', `clusterer-internal version ${frame.version}, expected ${CLUSTERER_BIN_VERSION}`, 8);
  }
  const r = new ByteReader(frame.packet, frame.bodyOffset);
  const st = newState();
  const clusterId = r.i32();
  const sourceNodeId = r.i32();
  let msg: ClustererInternalMessage;
  switch (frame.type) {
    case CLUSTERER_PING: {
      // req_node_list is tested for non-zero by OpenSIPS; only 0/1 are ever sent.
      const v = r.i32();
      if (!r.failed && v !== 0 && v !== 1) st.error = wireError('CLUSTER_WIRE_BAD_VALUE', `req_node_list = ${v}`, r.offset - 4);
      msg = { kind: 'ping', clusterId, sourceNodeId, requestNodeList: v === 1 } satisfies PingMessage;
      break;
    }
    case CLUSTERER_PONG: {
      const n = readCount(r, st, 'pong nr_nodes', MAX_NODES, 4);
      const knownNodeIds = new Array<number>(n);
      for (let i = 0; i < n; i++) knownNodeIds[i] = r.i32();
      msg = { kind: 'pong', clusterId, sourceNodeId, knownNodeIds } satisfies PongMessage;
      break;
    }
    case CLUSTERER_UNKNOWN_ID:
      msg = { kind: 'unknown-id', clusterId, sourceNodeId } satisfies UnknownIdMessage;
      break;
    case CLUSTERER_NODE_DESCRIPTION: {
      const d = readDescription(r, st);
      const path = readPath(r, st);
      msg = { kind: 'node-description', clusterId, sourceNodeId, ...d, path } satisfies NodeDescriptionMessage;
      break;
    }
    case CLUSTERER_LS_UPDATE: {
      const lsSeqNo = r.i32();
      const timestampS = r.i32();
      const neighborNodeId = r.i32();
      const at = r.offset;
      const ls = r.i32();
      if (!r.failed && ls !== LS_UP && ls !== LS_DOWN) st.error = wireError('CLUSTER_WIRE_BAD_VALUE', `new_ls = ${ls}`, at);
      const path = readPath(r, st);
      msg = {
        kind: 'ls-update', clusterId, sourceNodeId, lsSeqNo, timestampS, neighborNodeId,
        linkState: ls === LS_DOWN ? 'down' : 'up', path,
      } satisfies LsUpdateMessage;
      break;
    }
    case CLUSTERER_FULL_TOP_UPDATE:
      msg = decodeFullTopUpdate(r, st, clusterId, sourceNodeId);
      break;
    case CLUSTERER_CAP_UPDATE:
      msg = decodeCapUpdate(r, st, clusterId, sourceNodeId);
      break;
    default:
      return wireErr('CLUSTER_WIRE_UNKNOWN_TYPE', `clusterer-internal type ${frame.type}`, frame.bodyOffset - 4);
  }
  const bad = checkDone(r, st, msg.kind);
  return bad === undefined ? ok(msg) : { ok: false, error: bad };
}

export function encodeClustererInternal(msg: ClustererInternalMessage): Buffer {
  switch (msg.kind) {
    case 'ping': {
      const w = startPacket(CAP_CLUSTERER_INTERNAL, CLUSTERER_BIN_VERSION, CLUSTERER_PING, 48);
      w.i32(msg.clusterId).i32(msg.sourceNodeId).i32(msg.requestNodeList ? 1 : 0);
      return finishPacket(w);
    }
    case 'pong': {
      checkCount('pong nr_nodes', msg.knownNodeIds.length, MAX_NODES);
      const w = startPacket(CAP_CLUSTERER_INTERNAL, CLUSTERER_BIN_VERSION, CLUSTERER_PONG, 48 + 4 * msg.knownNodeIds.length);
      w.i32(msg.clusterId).i32(msg.sourceNodeId).i32(msg.knownNodeIds.length);
      for (const id of msg.knownNodeIds) w.i32(id);
      return finishPacket(w);
    }
    case 'unknown-id': {
      const w = startPacket(CAP_CLUSTERER_INTERNAL, CLUSTERER_BIN_VERSION, CLUSTERER_UNKNOWN_ID, 48);
      w.i32(msg.clusterId).i32(msg.sourceNodeId);
      return finishPacket(w);
    }
    case 'node-description': {
      const w = startPacket(CAP_CLUSTERER_INTERNAL, CLUSTERER_BIN_VERSION, CLUSTERER_NODE_DESCRIPTION);
      w.i32(msg.clusterId).i32(msg.sourceNodeId);
      writeDescription(w, msg);
      writePath(w, msg.path);
      return finishPacket(w);
    }
    case 'ls-update': {
      const w = startPacket(CAP_CLUSTERER_INTERNAL, CLUSTERER_BIN_VERSION, CLUSTERER_LS_UPDATE, 72);
      w.i32(msg.clusterId).i32(msg.sourceNodeId).i32(msg.lsSeqNo).i32(msg.timestampS).i32(msg.neighborNodeId);
      w.i32(msg.linkState === 'down' ? LS_DOWN : LS_UP);
      writePath(w, msg.path);
      return finishPacket(w);
    }
    case 'full-top-update':
      return encodeFullTopUpdate(msg);
    case 'cap-update':
      return encodeCapUpdate(msg);
  }
}
