import { z } from 'zod';
import { isMapName, MAX_ENTRIES, MAX_TTL_MS, MIN_TTL_MS } from '../../features/shared-map/index.ts';

/**
 * `maps:` — replicated key/value maps with an owner node and expiry (src/features/shared-map,
 * examples/conference). Each map is reached from the script as `ctx.maps.get(name)` and travels
 * as `MAP:<name>:…` generic messages in its cluster. Needs a `cluster:` section.
 */
export const mapSchema = z.strictObject({
  /** Letters, digits, `_` and `-`, at most 32 (it is also part of the map's statistic names). */
  name: z.string().refine(isMapName, { message: 'letters, digits, _ and -, 1–32 characters' }),
  /** The cluster the map is shared in; default (and for now the only choice) `cluster.clusterId`. */
  clusterId: z.number().int().min(1).max(0x7fffffff).optional(),
  /** Lifetime of an entry without a refresh; the owner refreshes every third of it. */
  defaultTtlMs: z.number().int().min(MIN_TTL_MS).max(MAX_TTL_MS).default(60_000),
  /** Entries the map holds at most (new keys past it are refused). */
  maxEntries: z.number().int().min(1).max(MAX_ENTRIES).default(MAX_ENTRIES),
  /** How long a claim waits for the other nodes' WHO? answers before it claims anyway. */
  askTimeoutMs: z.number().int().min(50).max(10_000).default(1000),
});

export const mapsSchema = z.array(mapSchema).default([]);

export type MapConfig = z.infer<typeof mapSchema>;

/** Cross-section checks (root superRefine): maps need a cluster, in its cluster id, with distinct names. */
export function checkMaps(
  cfg: { maps: readonly MapConfig[]; cluster?: { clusterId: number } | undefined },
  problem: (path: Array<string | number>, message: string) => void,
): void {
  const seen = new Set<string>();
  cfg.maps.forEach((m, i) => {
    if (seen.has(m.name)) problem(['maps', i, 'name'], `map ${m.name} is configured twice`);
    seen.add(m.name);
    if (cfg.cluster === undefined) problem(['maps', i], 'a replicated map needs a `cluster:` section');
    else if (m.clusterId !== undefined && m.clusterId !== cfg.cluster.clusterId) problem(['maps', i, 'clusterId'], `this node is in cluster ${cfg.cluster.clusterId} only`);
  });
}
