import type { Kysely, Selectable } from 'kysely';
import type { StoreDialect } from './store-url.ts';
import type { ClustererTable, StoreDatabase } from './tables.ts';

/**
 * One row of OpenSIPS's `clusterer` table (version 4): a node of a cluster as `db_mode: 1` loads
 * it and MI `clusterer_reload` re-reads it. Field meanings are OpenSIPS's (clusterer module docs).
 */
export interface ClustererNodeRow {
  readonly id: number;
  readonly clusterId: number;
  readonly nodeId: number;
  /** BIN URL of the node, e.g. `bin:10.0.0.1:5566`. */
  readonly url: string;
  /** 1 enabled, 0 disabled (OpenSIPS: administratively down). */
  readonly state: number;
  readonly noPingRetries: number;
  /** Lower is preferred when two next hops tie. */
  readonly priority: number;
  readonly sipAddr: string | null;
  /** OpenSIPS flags string, e.g. `seed`. */
  readonly flags: string | null;
  readonly description: string | null;
}

export type ClustererNodeInput =
  Pick<ClustererNodeRow, 'clusterId' | 'nodeId' | 'url'> &
  Partial<Pick<ClustererNodeRow, 'state' | 'noPingRetries' | 'priority' | 'sipAddr' | 'flags' | 'description'>>;

export interface ClustererRepo {
  /** Rows of one cluster, or of all clusters; ordered by cluster id, then node id. */
  list(clusterId?: number): Promise<ClustererNodeRow[]>;
  /** Adds a node (OpenSIPS's defaults: state 1, no_ping_retries 3, priority 50); returns the row id. */
  add(node: ClustererNodeInput): Promise<number>;
  /** True when the (cluster, node) row existed. */
  remove(clusterId: number, nodeId: number): Promise<boolean>;
}

export class KyselyClustererRepo implements ClustererRepo {
  constructor(private readonly db: Kysely<StoreDatabase>, private readonly dialect: StoreDialect) {}

  async list(clusterId?: number): Promise<ClustererNodeRow[]> {
    let q = this.db.selectFrom('clusterer').selectAll();
    if (clusterId !== undefined) q = q.where('cluster_id', '=', clusterId);
    const rows = await q.orderBy('cluster_id').orderBy('node_id').execute();
    return rows.map(fromRow);
  }

  async add(node: ClustererNodeInput): Promise<number> {
    const values = {
      cluster_id: node.clusterId,
      node_id: node.nodeId,
      url: node.url,
      state: node.state ?? 1,
      no_ping_retries: node.noPingRetries ?? 3,
      priority: node.priority ?? 50,
      sip_addr: node.sipAddr ?? null,
      flags: node.flags ?? null,
      description: node.description ?? null,
    };
    if (this.dialect === 'postgres') {
      const r = await this.db.insertInto('clusterer').values(values).returning('id').executeTakeFirstOrThrow();
      return Number(r.id);
    }
    const r = await this.db.insertInto('clusterer').values(values).executeTakeFirstOrThrow();
    return Number(r.insertId);
  }

  async remove(clusterId: number, nodeId: number): Promise<boolean> {
    const r = await this.db.deleteFrom('clusterer')
      .where('cluster_id', '=', clusterId).where('node_id', '=', nodeId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

function fromRow(r: Selectable<ClustererTable>): ClustererNodeRow {
  return {
    id: Number(r.id),
    clusterId: Number(r.cluster_id),
    nodeId: Number(r.node_id),
    url: r.url,
    state: Number(r.state),
    noPingRetries: Number(r.no_ping_retries),
    priority: Number(r.priority),
    sipAddr: r.sip_addr,
    flags: r.flags,
    description: r.description,
  };
}
