/**
 * `sipcluster-mi`: a capability of our own that carries what OpenSIPS's MI_CMD (clusterer-extra
 * type 8) cannot: which request a remote MI run answers, and its result. OpenSIPS drops packets on
 * capabilities nobody registered, so these never disturb an OpenSIPS node, and OpenSIPS's MI_CMD
 * layout stays untouched (DESIGN.md §3).
 *
 *   MI_TICKET (1): req_id:i32, command:str, params_hash:str + trailer
 *     Sent just before the MI_CMD it describes, to the same destination (same next hop, same
 *     connection, so it arrives first). The receiver pairs it with that MI_CMD.
 *   MI_RESULT (2): req_id:i32, status:i32, command:str, body:str + trailer
 *     status 0 ok (body: JSON of the result), 1 refused, 2 error (body: JSON {code,message}).
 *
 * Type numbers are append-only. Every field is bounds-checked; nothing throws on input.
 */
import { ByteReader } from '../../lib/byte-reader.ts';
import { ok, type Result } from '../../lib/result.ts';
import { wireErr, type WireError } from './errors.ts';
import { checkDone, newState, readText } from './fields.ts';
import { finishPacket, startPacket, type BinFrame } from './framing.ts';
import type { RoutingTrailer } from './messages.ts';
import { readTrailer, trailerOf, writeTrailer } from './routing-trailer.ts';

export const CAP_SIPCLUSTER_MI = 'sipcluster-mi';
export const SIPCLUSTER_MI_VERSION = 1;
export const SIPCLUSTER_MI_TICKET = 1;
export const SIPCLUSTER_MI_RESULT = 2;

/** Longest command name and params hash we accept (MI names are short; the hash is 8 hex chars). */
export const MAX_MI_NAME_BYTES = 256;

export type MiResultStatus = 'ok' | 'refused' | 'error';
const STATUS_CODES: Readonly<Record<MiResultStatus, number>> = { ok: 0, refused: 1, error: 2 };
const STATUS_NAMES: readonly MiResultStatus[] = ['ok', 'refused', 'error'];

export interface MiTicketMessage extends RoutingTrailer {
  readonly kind: 'mi-ticket';
  readonly requestId: number;
  readonly command: string;
  readonly paramsHash: string;
}

export interface MiResultMessage extends RoutingTrailer {
  readonly kind: 'mi-result';
  readonly requestId: number;
  readonly status: MiResultStatus;
  readonly command: string;
  /** JSON text: the result (ok) or {code, message} (refused, error). */
  readonly body: string;
}

export type SipclusterMiMessage = MiTicketMessage | MiResultMessage;

export function decodeSipclusterMi(frame: BinFrame): Result<SipclusterMiMessage, WireError> {
  if (frame.type !== SIPCLUSTER_MI_TICKET && frame.type !== SIPCLUSTER_MI_RESULT) {
    return wireErr('CLUSTER_WIRE_UNKNOWN_TYPE', `${CAP_SIPCLUSTER_MI} type ${frame.type}`, frame.bodyOffset - 4);
  }
  if (frame.version !== SIPCLUSTER_MI_VERSION) {
    return wireErr('CLUSTER_WIRE_BAD_VERSION', `${CAP_SIPCLUSTER_MI} version ${frame.version}, expected ${SIPCLUSTER_MI_VERSION}`, 8);
  }
  const split = readTrailer(frame);
  if (!split.ok) return split;
  const t = split.value.trailer;
  const r = new ByteReader(frame.packet, frame.bodyOffset, split.value.payloadEnd);
  const st = newState();
  const requestId = r.i32();
  let msg: SipclusterMiMessage;
  if (frame.type === SIPCLUSTER_MI_TICKET) {
    const command = readText(r, st, 'MI command name', MAX_MI_NAME_BYTES);
    const paramsHash = readText(r, st, 'MI params hash', MAX_MI_NAME_BYTES);
    msg = { kind: 'mi-ticket', ...t, requestId, command, paramsHash };
  } else {
    const at = r.offset;
    const code = r.i32();
    const status = STATUS_NAMES[code];
    if (!r.failed && status === undefined && st.error === undefined) {
      return wireErr('CLUSTER_WIRE_BAD_VALUE', `MI result status ${code}, expected 0..2`, at);
    }
    const command = readText(r, st, 'MI command name', MAX_MI_NAME_BYTES);
    const body = readText(r, st, 'MI result body');
    msg = { kind: 'mi-result', ...t, requestId, status: status ?? 'error', command, body };
  }
  const bad = checkDone(r, st, msg.kind);
  return bad === undefined ? ok(msg) : { ok: false, error: bad };
}

export function encodeSipclusterMi(msg: SipclusterMiMessage): Buffer {
  if (msg.kind === 'mi-ticket') {
    const w = startPacket(CAP_SIPCLUSTER_MI, SIPCLUSTER_MI_VERSION, SIPCLUSTER_MI_TICKET, 64 + msg.command.length);
    w.i32(msg.requestId).str(msg.command).str(msg.paramsHash);
    writeTrailer(w, trailerOf(msg));
    return finishPacket(w);
  }
  const body = Buffer.from(msg.body, 'utf8');
  const w = startPacket(CAP_SIPCLUSTER_MI, SIPCLUSTER_MI_VERSION, SIPCLUSTER_MI_RESULT, 64 + msg.command.length + body.length);
  w.i32(msg.requestId).i32(STATUS_CODES[msg.status]).str(msg.command).str(body);
  writeTrailer(w, trailerOf(msg));
  return finishPacket(w);
}
