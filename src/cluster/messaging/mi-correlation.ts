/**
 * Correlation of remote MI runs (clusterer:send_mi / broadcast_mi) between sipcluster nodes.
 * OpenSIPS's MI_CMD carries only the command and its params, and its layout is not ours to
 * change, so the requester sends a `sipcluster-mi` MI_TICKET (request id, command, params hash)
 * right before the MI_CMD, to the same destination: same next hop, same connection, so the ticket
 * arrives first. The target pairs the MI_CMD with the oldest unexpired ticket from that source
 * with the same command and params hash, and answers on `sipcluster-mi` MI_RESULT with the
 * ticket's id. An MI_CMD without a ticket came from OpenSIPS: it is run (if allowed) and logged,
 * as OpenSIPS does, with no result sent back. Pure: no I/O, timers injected.
 */
import type { Clock, TimerHandle, Timers } from '../../lib/time.ts';

/** Tickets kept per source node; more than this unpaired means the source is not sending MI_CMDs. */
export const MAX_TICKETS_PER_SOURCE = 32;
/** A ticket not paired within this time is forgotten (its MI_CMD was lost or rerouted). */
export const TICKET_TTL_MS = 10_000;
/** Requests one node may have waiting at once (each holds a timer and a caller). */
export const MAX_PENDING_MI = 1024;

/** FNV-1a 32-bit over the command and params, as 8 hex chars: tells apart concurrent tickets. */
export function miParamsHash(command: string, params: readonly string[]): string {
  let h = 0x811c9dc5;
  const text = [command, ...params].join('\u0000');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export interface MiTicket {
  readonly requestId: number;
  readonly command: string;
  readonly paramsHash: string;
}

/** Target side: tickets waiting for their MI_CMD, per source node. */
export class MiTicketBox {
  private readonly bySource = new Map<number, Array<MiTicket & { readonly atMs: number }>>();

  constructor(private readonly clock: Clock) {}

  /** Stores a ticket; returns false when the source already has too many unpaired (oldest dropped). */
  add(sourceNodeId: number, t: MiTicket): boolean {
    const list = this.fresh(sourceNodeId);
    list.push({ ...t, atMs: this.clock.nowMs() });
    this.bySource.set(sourceNodeId, list);
    if (list.length <= MAX_TICKETS_PER_SOURCE) return true;
    list.shift();
    return false;
  }

  /** The request id of the oldest matching ticket, removed; undefined for an MI_CMD without one. */
  take(sourceNodeId: number, command: string, params: readonly string[]): number | undefined {
    const list = this.fresh(sourceNodeId);
    const hash = miParamsHash(command, params);
    const i = list.findIndex((t) => t.command === command && t.paramsHash === hash);
    if (i < 0) return undefined;
    const [t] = list.splice(i, 1);
    if (list.length === 0) this.bySource.delete(sourceNodeId);
    return t?.requestId;
  }

  private fresh(sourceNodeId: number): Array<MiTicket & { readonly atMs: number }> {
    const cutoff = this.clock.nowMs() - TICKET_TTL_MS;
    const list = (this.bySource.get(sourceNodeId) ?? []).filter((t) => t.atMs >= cutoff);
    if (list.length > 0) this.bySource.set(sourceNodeId, list);
    else this.bySource.delete(sourceNodeId);
    return list;
  }
}

export type MiOutcome =
  | { readonly kind: 'result'; readonly status: 'ok' | 'refused' | 'error'; readonly body: string }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'node-down' };

interface Waiting {
  readonly target: number;
  readonly command: string;
  readonly timer: TimerHandle;
  readonly done: (o: MiOutcome) => void;
}

/** Requester side: request ids, waits bounded by a timeout, results matched by (target, id, command). */
export class MiPendingTable {
  private readonly waiting = new Map<number, Waiting>();
  private seq = 0;

  constructor(private readonly timers: Timers) {}

  /** A fresh request id (positive i32, wraps; ids still waiting are skipped). */
  nextId(): number {
    do this.seq = this.seq >= 0x7fffffff ? 1 : this.seq + 1;
    while (this.waiting.has(this.seq));
    return this.seq;
  }

  get size(): number {
    return this.waiting.size;
  }

  /** Waits for the result of `requestId` from `target`; undefined when too many are waiting. */
  wait(target: number, requestId: number, command: string, timeoutMs: number): Promise<MiOutcome> | undefined {
    if (this.waiting.size >= MAX_PENDING_MI) return undefined;
    return new Promise<MiOutcome>((resolve) => {
      const timer = this.timers.after(timeoutMs, () => this.finish(requestId, { kind: 'timeout' }));
      this.waiting.set(requestId, { target, command, timer, done: resolve });
    });
  }

  /** A MI_RESULT arrived; false when nobody waits for it (late, or not from the node we asked). */
  resolve(sourceNodeId: number, requestId: number, command: string, outcome: MiOutcome): boolean {
    const w = this.waiting.get(requestId);
    if (w === undefined || w.target !== sourceNodeId || w.command !== command) return false;
    this.finish(requestId, outcome);
    return true;
  }

  /** The target became unreachable: its results will not come. */
  nodeDown(nodeId: number): void {
    for (const [id, w] of [...this.waiting]) if (w.target === nodeId) this.finish(id, { kind: 'node-down' });
  }

  private finish(requestId: number, o: MiOutcome): void {
    const w = this.waiting.get(requestId);
    if (w === undefined) return;
    this.waiting.delete(requestId);
    w.timer.cancel();
    w.done(o);
  }
}
