import { encodeBinMessage } from '../wire/index.ts';
import type { BinMessage } from '../wire/index.ts';

/** A relayed packet seen this many times within the window is looping (the 4th copy is dropped). */
export const MAX_RELAYS_PER_PACKET = 3;
export const RELAY_WINDOW_MS = 2000;
/** Bound on remembered fingerprints so a flood of distinct packets cannot grow memory. */
export const MAX_RELAY_FINGERPRINTS = 4096;

/**
 * Hop bound for routed packets (clusterer-extra and module capabilities). Their 12-byte trailer
 * has no hop count and we must not add one (DESIGN.md §3: never extend OpenSIPS's messages), so
 * a relay recognises a packet that keeps coming back: the same bytes relayed more than
 * MAX_RELAYS_PER_PACKET times within RELAY_WINDOW_MS. OpenSIPS relays without any bound
 * (clusterer.c "route the message"), so two nodes with disagreeing topologies could bounce a
 * packet until one of them converges.
 */
export class RelayGuard {
  constructor(private readonly maxCopies = MAX_RELAYS_PER_PACKET) {}

  private seen = new Map<number, { firstMs: number; count: number }>();

  /** For flooded messages the path is left out: the same update along another path is a copy. */
  admit(msg: BinMessage, nowMs: number): boolean {
    const flooded = msg.kind === 'ls-update' || msg.kind === 'full-top-update' || msg.kind === 'node-description' || msg.kind === 'cap-update';
    const key = fnv1a(encodeBinMessage(flooded ? { ...msg, path: [] } : msg));
    const e = this.seen.get(key);
    if (e === undefined || nowMs - e.firstMs > RELAY_WINDOW_MS) {
      if (this.seen.size >= MAX_RELAY_FINGERPRINTS) this.prune(nowMs);
      this.seen.set(key, { firstMs: nowMs, count: 1 });
      return true;
    }
    e.count += 1;
    return e.count <= this.maxCopies;
  }

  private prune(nowMs: number): void {
    for (const [k, e] of this.seen) if (nowMs - e.firstMs > RELAY_WINDOW_MS) this.seen.delete(k);
    if (this.seen.size >= MAX_RELAY_FINGERPRINTS) this.seen.clear();
  }
}

function fnv1a(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ (b[i] as number), 0x01000193);
  return h >>> 0;
}
