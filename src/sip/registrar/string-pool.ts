import { STRING_POOL_CAPACITY } from './limits.ts';

/**
 * Interns the strings that a million contacts mostly share (user agents, sockets, cflags, Path):
 * one copy instead of one per contact. Bounded, because these come from the network: once full,
 * new strings are simply not interned (correct, only less compact).
 */
export class StringPool {
  private readonly pool = new Map<string, string>();

  constructor(private readonly capacity = STRING_POOL_CAPACITY) {}

  intern(s: string): string {
    if (s.length === 0) return '';
    const hit = this.pool.get(s);
    if (hit !== undefined) return hit;
    if (this.pool.size < this.capacity) this.pool.set(s, s);
    return s;
  }

  internOpt(s: string | undefined): string | undefined {
    return s === undefined ? undefined : this.intern(s);
  }

  size(): number {
    return this.pool.size;
  }
}

/** 32-bit FNV-1a over UTF-16 code units: the AoR half of a contact id. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
