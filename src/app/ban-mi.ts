/**
 * MI methods of the ban list. Shapes follow OpenSIPS habits (a named array, snake_case keys,
 * times in seconds, "OK" for commands):
 *   ban:list                       → { Bans: [{ ip, reason, user_agent, origin_node, expires }] }
 *   ban:remove  ip                 → "OK"  (404 FEATURE_BAN_NOT_FOUND when the address is not banned)
 *   ban:add     ip, expires, reason → "OK" (400 with FEATURE_BAN_TRUSTED / _PEER / _INVALID_ADDRESS / _TABLE_FULL)
 * Each acts on this node only: lift a ban everywhere by calling ban:remove on every node.
 */
import type { BanList } from '../features/ban-list/index.ts';
import { optionalInt, requireString, RpcError, RPC_INVALID_PARAMS, type RpcRegistry } from '../mgmt/rpc-registry.ts';

export function registerBanMethods(reg: RpcRegistry, list: BanList): void {
  reg.register({
    name: 'ban:list', aliases: ['ban_list'], help: 'banned source addresses with reason, User-Agent, origin node and seconds left',
    handler: () => ({
      Bans: list.list().map((b) => ({
        ip: b.address,
        reason: b.reason,
        user_agent: b.userAgent,
        origin_node: b.originNodeId ?? null,
        expires: Math.ceil(b.expiresInMs / 1000),
      })),
    }),
  });
  reg.register({
    name: 'ban:remove', aliases: ['ban_remove'], params: ['ip'], help: 'lifts the ban of one address on this node',
    handler: (p) => {
      const ip = requireString(p, 'ip');
      if (!list.unban(ip)) throw new RpcError(404, 'FEATURE_BAN_NOT_FOUND', `${ip} is not banned`);
      return 'OK';
    },
  });
  reg.register({
    name: 'ban:add', aliases: ['ban_add'], params: ['ip', 'expires', 'reason'], help: 'bans an address on this node for `expires` seconds (default banList.banMs)',
    handler: (p) => {
      const ip = requireString(p, 'ip');
      const expiresSec = optionalInt(p, 'expires');
      if (expiresSec !== undefined && expiresSec <= 0) throw new RpcError(RPC_INVALID_PARAMS, 'RPC_INVALID_PARAMS', 'expires must be a positive number of seconds');
      const reason = typeof p.reason === 'string' ? p.reason : 'MI';
      const r = list.ban(ip, { reason, banMs: expiresSec === undefined ? list.config.banMs : expiresSec * 1000 });
      if (!r.ok) throw new RpcError(400, r.code, `cannot ban ${ip}: ${r.code}`);
      return 'OK';
    },
  });
}
