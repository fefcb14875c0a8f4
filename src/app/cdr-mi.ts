/**
 * MI methods of call accounting (`cdr:`):
 *   cdr:spool  → { role, state, count, bytes, max_bytes, oldest, oldest_age_sec, in_flight, active_calls }
 * `oldest` is the wall time (ISO 8601, UTC) of the oldest spooled CDR, null when the spool is empty;
 * `state` is the delivery machine's (idle, sending, backoff, probing).
 */
import type { CallTracker, CdrDelivery, CdrSpool } from '../features/cdr/index.ts';
import type { RpcRegistry } from '../mgmt/rpc-registry.ts';

export interface CdrMiDeps {
  readonly role: 'writer' | 'sender';
  readonly spool: CdrSpool;
  readonly delivery: CdrDelivery;
  readonly tracker: CallTracker;
  readonly wallMs: () => number;
}

export function registerCdrMethods(reg: RpcRegistry, d: CdrMiDeps): void {
  reg.register({
    name: 'cdr:spool', aliases: ['cdr_spool'], help: 'CDRs waiting for the writer node: count, bytes, oldest, delivery state',
    handler: () => {
      const s = d.spool.status();
      return {
        role: d.role,
        state: d.delivery.state,
        count: s.count,
        bytes: s.bytes,
        max_bytes: s.maxBytes,
        oldest: s.oldestWallMs === undefined ? null : new Date(s.oldestWallMs).toISOString(),
        oldest_age_sec: s.oldestWallMs === undefined ? null : Math.max(0, Math.floor((d.wallMs() - s.oldestWallMs) / 1000)),
        in_flight: d.delivery.inFlightCount,
        active_calls: d.tracker.size,
      };
    },
  });
}
