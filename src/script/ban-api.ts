import type { BanList } from '../features/ban-list/index.ts';
import type { BanApi, BanInfo } from './api.ts';

/** `ctx.bans` on a node without `banList:`: bans nothing, lists nothing. */
export const NO_BANS: BanApi = {
  enabled: false,
  ban: () => false,
  unban: () => false,
  isBanned: () => false,
  list: () => [],
  recordFailure: () => false,
};

/** The script's `ctx.bans` over the node's ban list; a node without `banList:` gets an inert one. */
export function banApiOf(list: BanList | undefined): BanApi {
  if (list === undefined) return NO_BANS;
  return {
    enabled: true,
    ban(address, opts) {
      const input: { reason: string; banMs: number; userAgent?: string; originNodeId?: number } = { reason: opts.reason ?? 'script', banMs: opts.banMs };
      if (opts.userAgent !== undefined) input.userAgent = opts.userAgent;
      if (opts.originNodeId !== undefined) input.originNodeId = opts.originNodeId;
      return list.ban(address, input).ok;
    },
    unban: (address) => list.unban(address),
    isBanned: (address) => list.isBanned(address),
    list: (): BanInfo[] => list.list().map((b) => ({
      address: b.address, reason: b.reason, userAgent: b.userAgent, expiresInMs: b.expiresInMs, originNodeId: b.originNodeId,
    })),
    recordFailure: (address, userAgent) => list.recordFailure(address, userAgent ?? '', 'script') !== undefined,
  };
}
