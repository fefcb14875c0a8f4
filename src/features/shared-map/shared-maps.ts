import type { Counter, CounterFactory } from '../../lib/counter.ts';
import { decodeMapMessage, MAP_PREFIX } from './map-messages.ts';
import { SharedMap, type MapClusterPort, type SharedMapConfig, type SharedMapDeps } from './shared-map.ts';

/**
 * The maps of one node, and the dispatch of `MAP:` messages among them. Every generic cluster
 * message whose text starts with `MAP:` belongs here (the routing script never sees it); one that
 * does not parse, or names a map this node does not have, is counted and dropped.
 */
export class SharedMaps {
  private readonly maps = new Map<string, SharedMap>();
  private readonly malformed: Counter;
  private readonly unknownMap: Counter;

  constructor(configs: readonly SharedMapConfig[], deps: Omit<SharedMapDeps, 'port'> & { readonly port: MapClusterPort }) {
    for (const cfg of configs) {
      if (this.maps.has(cfg.name)) throw new Error(`map ${cfg.name} is configured twice`);
      this.maps.set(cfg.name, new SharedMap(cfg, deps));
    }
    const f: CounterFactory = deps.counters;
    this.malformed = f.counter('map:malformed', 'MAP: messages that did not parse or broke a bound, dropped');
    this.unknownMap = f.counter('map:unknown_map', 'MAP: messages for a map this node does not have, dropped');
    this.report = deps.report;
  }

  private readonly report: SharedMapDeps['report'];

  get(name: string): SharedMap | undefined {
    return this.maps.get(name);
  }

  names(): string[] {
    return [...this.maps.keys()];
  }

  all(): SharedMap[] {
    return [...this.maps.values()];
  }

  /** True when `text` is a `MAP:` message: it was handled (or counted and dropped) here. */
  static isMapMessage(text: string): boolean {
    return text.startsWith(MAP_PREFIX);
  }

  /** A received generic message; `tag` for requests (the reply goes back with it). False when it is not ours. */
  receive(from: number, text: string, tag: string | undefined): boolean {
    if (!SharedMaps.isMapMessage(text)) return false;
    const r = decodeMapMessage(text);
    if (!r.ok) {
      this.malformed.inc();
      this.report?.({ kind: 'malformed', map: '', fromNodeId: from, reason: r.reason });
      return true;
    }
    const map = this.maps.get(r.msg.map);
    if (map === undefined) {
      this.unknownMap.inc();
      return true;
    }
    map.handle(from, r.msg, tag);
    return true;
  }

  nodeUp(nodeId: number): Promise<number[]> {
    return Promise.all(this.all().map((m) => m.nodeUp(nodeId)));
  }

  nodeDown(nodeId: number): void {
    for (const m of this.maps.values()) m.nodeDown(nodeId);
  }

  tick(): void {
    for (const m of this.maps.values()) m.tick();
  }
}
