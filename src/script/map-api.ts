import { SipclusterError } from '../lib/errors.ts';
import type { EntryView, SharedMap, SharedMaps } from '../features/shared-map/index.ts';
import type { MapEntryInfo, MapsApi, SharedMapApi } from './api.ts';

const info = (e: EntryView): MapEntryInfo => ({ key: e.key, value: e.value, ownerNodeId: e.ownerNodeId, mine: e.mine, expiresInMs: e.expiresInMs });

function mapApiOf(m: SharedMap): SharedMapApi {
  return {
    name: m.name,
    defaultTtlMs: m.defaultTtlMs,
    get: (key) => {
      const e = m.get(key);
      return e === undefined ? undefined : info(e);
    },
    claim: async (key, value, opts) => info(await m.claim(key, value, opts)),
    release: (key) => m.release(key),
    list: () => m.list().map(info),
  };
}

/** `ctx.maps` on a node without `maps:`: no names, and get() says why. */
export const NO_MAPS: MapsApi = {
  names: [],
  get(name) {
    throw new SipclusterError('SCRIPT_NO_MAP', `no map named ${JSON.stringify(name)}: this node has no \`maps:\` section`);
  },
};

/** The script's `ctx.maps` over the node's maps; built once (each map's facade too). */
export function mapsApiOf(maps: SharedMaps | undefined): MapsApi {
  if (maps === undefined) return NO_MAPS;
  const apis = new Map(maps.all().map((m) => [m.name, mapApiOf(m)]));
  return {
    names: [...apis.keys()],
    get(name) {
      const a = apis.get(name);
      if (a === undefined) throw new SipclusterError('SCRIPT_NO_MAP', `no map named ${JSON.stringify(name)} in \`maps:\` (configured: ${[...apis.keys()].join(', ') || 'none'})`);
      return a;
    },
  };
}
