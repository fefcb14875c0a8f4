import type { NodeId } from '../../lib/ids.ts';

/** Directed adjacency: who each node says it has an Up link with. */
export interface Graph {
  neighborsOf(id: NodeId): readonly NodeId[];
  priorityOf(id: NodeId): number;
}

/**
 * Next hops from `self` to every node it can reach: shortest path in hops; among equally short
 * paths the one found first when every level is expanded in (priority, id) order, lower first. OpenSIPS (topology.c get_next_hop_2, prio_enqueue)
 * orders its whole BFS queue by (priority, id), which can prefer a longer path; we keep the
 * search level by level so the hop count stays minimal and only use priority within a level.
 * Edges are directed: a node's own report of its links is what counts (set_link).
 */
export function computeNextHops(self: NodeId, g: Graph): Map<NodeId, NodeId> {
  const hop = new Map<NodeId, NodeId>();
  const seen = new Set<NodeId>([self]);
  const byPriority = (a: NodeId, b: NodeId): number => g.priorityOf(a) - g.priorityOf(b) || a - b;
  let level: NodeId[] = [...g.neighborsOf(self)].filter((n) => n !== self).sort(byPriority);
  for (const n of level) {
    seen.add(n);
    hop.set(n, n);
  }
  while (level.length > 0) {
    const next: NodeId[] = [];
    for (const cur of level) {
      const first = hop.get(cur) as NodeId;
      for (const n of g.neighborsOf(cur)) {
        if (seen.has(n)) continue;
        seen.add(n);
        hop.set(n, first);
        next.push(n);
      }
    }
    level = next.sort(byPriority);
  }
  return hop;
}
