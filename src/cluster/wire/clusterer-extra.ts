/**
 * clusterer-extra (clusterer.c bin_rcv_cl_extra_packets): GENERIC_MSG, MI_CMD, REMOVE_NODE,
 * SHTAG_ACTIVE (header version BIN_VERSION 1) and SYNC_REQ, SYNC, SYNC_END (BIN_SYNC_VERSION 3,
 * sync.c discards other versions). Payload first, routing trailer last.
 */
import { ByteReader } from '../../lib/byte-reader.ts';
import { ok, type Result } from '../../lib/result.ts';
import { wireErr, type WireError } from './errors.ts';
import { checkCount, checkDone, newState, readCount, readFlag, readText } from './fields.ts';
import { finishPacket, startPacket, type BinFrame } from './framing.ts';
import { MAX_MI_PARAMS } from './limits.ts';
import type { ClustererExtraMessage } from './messages.ts';
import { readTrailer, trailerOf, writeTrailer } from './routing-trailer.ts';
import { readSyncChunks, writeSyncChunks } from './sync.ts';
import {
  CAP_CLUSTERER_EXTRA,
  CLUSTERER_BIN_VERSION,
  CLUSTERER_GENERIC_MSG,
  CLUSTERER_MI_CMD,
  CLUSTERER_REMOVE_NODE,
  CLUSTERER_SHTAG_ACTIVE,
  CLUSTERER_SYNC,
  CLUSTERER_SYNC_END,
  CLUSTERER_SYNC_REQ,
  CLUSTERER_SYNC_VERSION,
} from './types.ts';

function expectedVersion(type: number): number {
  return type === CLUSTERER_SYNC_REQ || type === CLUSTERER_SYNC || type === CLUSTERER_SYNC_END
    ? CLUSTERER_SYNC_VERSION
    : CLUSTERER_BIN_VERSION;
}

export function decodeClustererExtra(frame: BinFrame): Result<ClustererExtraMessage, WireError> {
  if (frame.type < CLUSTERER_REMOVE_NODE || frame.type > CLUSTERER_SHTAG_ACTIVE || frame.type === 9) {
    return wireErr('CLUSTER_WIRE_UNKNOWN_TYPE', `clusterer-extra type ${frame.type}`, frame.bodyOffset - 4);
  }
  const want = expectedVersion(frame.type);
  if (frame.version !== want) {
    return wireErr('CLUSTER_WIRE_BAD_VERSION', `clusterer-extra type ${frame.type} version ${frame.version}, expected ${want}`, 8);
  }
  const split = readTrailer(frame);
  if (!split.ok) return split;
  const t = split.value.trailer;
  const r = new ByteReader(frame.packet, frame.bodyOffset, split.value.payloadEnd);
  const st = newState();
  let msg: ClustererExtraMessage;
  switch (frame.type) {
    case CLUSTERER_GENERIC_MSG: {
      const isRequest = readFlag(r, st, 'req_like');
      const tag = readText(r, st, 'tag');
      const payload = r.str();
      msg = { kind: 'generic-msg', ...t, isRequest, tag, payload };
      break;
    }
    case CLUSTERER_MI_CMD: {
      const command = readText(r, st, 'MI command name');
      // OpenSIPS pops no_params into a 15-slot array without a check (handle_cl_mi_msg); we bound it.
      const n = readCount(r, st, 'MI no_params', MAX_MI_PARAMS, 2);
      const params: string[] = [];
      for (let i = 0; i < n && !r.failed && st.error === undefined; i++) params.push(readText(r, st, 'MI param'));
      msg = { kind: 'mi-cmd', ...t, command, params };
      break;
    }
    case CLUSTERER_REMOVE_NODE:
      msg = { kind: 'remove-node', ...t, targetNodeId: r.i32() };
      break;
    case CLUSTERER_SHTAG_ACTIVE:
      msg = { kind: 'shtag-active', ...t, tagName: readText(r, st, 'sharing tag') };
      break;
    case CLUSTERER_SYNC_REQ:
      msg = { kind: 'sync-req', ...t, capability: readText(r, st, 'sync capability') };
      break;
    case CLUSTERER_SYNC: {
      const capability = readText(r, st, 'sync capability');
      const dataVersion = r.i32();
      const chunks = readSyncChunks(r, st);
      msg = { kind: 'sync', ...t, capability, dataVersion, chunks };
      break;
    }
    default: {
      // CLUSTERER_SYNC_END (the range check above leaves nothing else)
      const capability = readText(r, st, 'sync capability');
      const totalChunks = r.i32();
      msg = { kind: 'sync-end', ...t, capability, totalChunks };
      break;
    }
  }
  const bad = checkDone(r, st, msg.kind);
  return bad === undefined ? ok(msg) : { ok: false, error: bad };
}

export function encodeClustererExtra(msg: ClustererExtraMessage): Buffer {
  switch (msg.kind) {
    case 'generic-msg': {
      const w = startPacket(CAP_CLUSTERER_EXTRA, CLUSTERER_BIN_VERSION, CLUSTERER_GENERIC_MSG, 64 + msg.tag.length + msg.payload.length);
      w.i32(msg.isRequest ? 1 : 0).str(msg.tag).str(msg.payload);
      writeTrailer(w, trailerOf(msg));
      return finishPacket(w);
    }
    case 'mi-cmd': {
      checkCount('MI no_params', msg.params.length, MAX_MI_PARAMS);
      const w = startPacket(CAP_CLUSTERER_EXTRA, CLUSTERER_BIN_VERSION, CLUSTERER_MI_CMD);
      w.str(msg.command).i32(msg.params.length);
      for (const p of msg.params) w.str(p);
      writeTrailer(w, trailerOf(msg));
      return finishPacket(w);
    }
    case 'remove-node': {
      const w = startPacket(CAP_CLUSTERER_EXTRA, CLUSTERER_BIN_VERSION, CLUSTERER_REMOVE_NODE, 48);
      w.i32(msg.targetNodeId);
      writeTrailer(w, trailerOf(msg));
      return finishPacket(w);
    }
    case 'shtag-active': {
      const w = startPacket(CAP_CLUSTERER_EXTRA, CLUSTERER_BIN_VERSION, CLUSTERER_SHTAG_ACTIVE);
      w.str(msg.tagName);
      writeTrailer(w, trailerOf(msg));
      return finishPacket(w);
    }
    case 'sync-req': {
      const w = startPacket(CAP_CLUSTERER_EXTRA, CLUSTERER_SYNC_VERSION, CLUSTERER_SYNC_REQ, 72);
      w.str(msg.capability);
      writeTrailer(w, trailerOf(msg));
      return finishPacket(w);
    }
    case 'sync': {
      const w = startPacket(CAP_CLUSTERER_EXTRA, CLUSTERER_SYNC_VERSION, CLUSTERER_SYNC, 512);
      w.str(msg.capability).i32(msg.dataVersion);
      writeSyncChunks(w, msg.chunks);
      writeTrailer(w, trailerOf(msg));
      return finishPacket(w);
    }
    case 'sync-end': {
      const w = startPacket(CAP_CLUSTERER_EXTRA, CLUSTERER_SYNC_VERSION, CLUSTERER_SYNC_END, 72);
      w.str(msg.capability).i32(msg.totalChunks);
      writeTrailer(w, trailerOf(msg));
      return finishPacket(w);
    }
  }
}
