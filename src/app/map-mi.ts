/**
 * MI methods of the replicated maps, in the ban MI's habits (a named array, snake_case keys,
 * seconds, "OK" for commands):
 *   map:list    [map]      → { Maps: [{ name, Entries: [{ key, value, owner, mine, expires }] }] }
 *   map:remove  map, key   → "OK": on the owner the key is released on every node (DEL); on
 *                            another node only the local copy goes (the owner's next refresh
 *                            brings it back). 404 FEATURE_MAP_NOT_FOUND / FEATURE_MAP_UNKNOWN_MAP.
 */
import type { SharedMaps } from '../features/shared-map/index.ts';
import { requireString, RpcError, type RpcRegistry } from '../mgmt/rpc-registry.ts';

export function registerMapMethods(reg: RpcRegistry, maps: SharedMaps): void {
  const mapOf = (name: string) => {
    const m = maps.get(name);
    if (m === undefined) throw new RpcError(404, 'FEATURE_MAP_UNKNOWN_MAP', `no map named ${name} (configured: ${maps.names().join(', ') || 'none'})`);
    return m;
  };
  reg.register({
    name: 'map:list', aliases: ['map_list'], params: ['map'], help: 'entries of every replicated map (or one): key, value, owner node, seconds left',
    handler: (p) => {
      const only = typeof p.map === 'string' ? [mapOf(p.map)] : maps.all();
      return {
        Maps: only.map((m) => ({
          name: m.name,
          Entries: m.list().map((e) => ({ key: e.key, value: e.value, owner: e.ownerNodeId, mine: e.mine, expires: Math.ceil(e.expiresInMs / 1000) })),
        })),
      };
    },
  });
  reg.register({
    name: 'map:remove', aliases: ['map_remove'], params: ['map', 'key'], help: 'releases a key this node owns (everywhere), or forgets the local copy of another node\'s',
    handler: (p) => {
      const m = mapOf(requireString(p, 'map'));
      const key = requireString(p, 'key');
      if (m.remove(key) === 'not-found') throw new RpcError(404, 'FEATURE_MAP_NOT_FOUND', `${key} is not in map ${m.name}`);
      return 'OK';
    },
  });
}
