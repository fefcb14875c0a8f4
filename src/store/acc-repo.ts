import type { Kysely, Selectable } from 'kysely';
import type { StoreDialect } from './store-url.ts';
import { fromSqlDateTime, toSqlDateTime, type AccTable, type StoreDatabase } from './tables.ts';

/** One CDR / accounting record in OpenSIPS's `acc` table (version 7). */
export interface AccRecord {
  readonly method: string;
  readonly fromTag: string;
  readonly toTag: string;
  readonly callid: string;
  /** Final SIP status code as text, e.g. '200' (OpenSIPS keeps CHAR(3)). */
  readonly sipCode: string;
  readonly sipReason: string;
  /** When the call started (OpenSIPS: the INVITE's time). */
  readonly time: Date;
  /** Seconds; with msDuration the same length in milliseconds (OpenSIPS CDR mode). */
  readonly duration: number;
  readonly msDuration: number;
  /** Seconds from INVITE to final reply. */
  readonly setuptime: number;
  readonly created: Date | null;
  /**
   * Caller and callee (`user`, `domain`) and the node that carried the call: the extra columns of
   * migration 3, as OpenSIPS users add them through acc `extra_fields`. Written as '' / 0 when absent.
   */
  readonly srcUser?: string;
  readonly srcDomain?: string;
  readonly dstUser?: string;
  readonly dstDomain?: string;
  readonly nodeId?: number;
}

export interface AccRow extends AccRecord {
  readonly id: number;
  readonly srcUser: string;
  readonly srcDomain: string;
  readonly dstUser: string;
  readonly dstDomain: string;
  readonly nodeId: number;
}

export interface AccInsertOnce {
  readonly id: number;
  /** False when a record of the same (callid, from_tag, to_tag) was already there. */
  readonly inserted: boolean;
}

export interface AccRepo {
  /** Plain insert (OpenSIPS acc semantics: one row per event); returns the row id. */
  insert(r: AccRecord): Promise<number>;
  /**
   * Idempotent CDR write: the first record of a (callid, from_tag, to_tag) is inserted, any
   * later one (a retried cluster request, two nodes racing) returns the first one's id.
   */
  insertOnce(r: AccRecord): Promise<AccInsertOnce>;
  get(id: number): Promise<AccRow | undefined>;
  listByCallid(callid: string): Promise<AccRow[]>;
}

export class KyselyAccRepo implements AccRepo {
  constructor(private readonly db: Kysely<StoreDatabase>, private readonly dialect: StoreDialect) {}

  insert(r: AccRecord): Promise<number> {
    return insertAcc(this.db, this.dialect, r);
  }

  async insertOnce(r: AccRecord): Promise<AccInsertOnce> {
    const key = { callid: r.callid, from_tag: r.fromTag, to_tag: r.toTag };
    // Claim the key first, then write the acc row and record its id, all in one transaction. A
    // racing writer's claim blocks on the uncommitted key (pg and InnoDB wait on a unique
    // conflict; SQLite serialises writers) and then finds it taken; if we roll back, it wins.
    const inserted = await this.db.transaction().execute(async (trx) => {
      const claim = this.dialect === 'mysql'
        ? trx.insertInto('sipcluster_acc_key').ignore().values({ ...key, acc_id: 0 })
        : trx.insertInto('sipcluster_acc_key').values({ ...key, acc_id: 0 }).onConflict((oc) => oc.doNothing());
      const res = await claim.executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows ?? 0n) === 0) return undefined;
      const id = await insertAcc(trx, this.dialect, r);
      await trx.updateTable('sipcluster_acc_key').set({ acc_id: id })
        .where('callid', '=', key.callid).where('from_tag', '=', key.from_tag).where('to_tag', '=', key.to_tag)
        .execute();
      return id;
    });
    if (inserted !== undefined) return { id: inserted, inserted: true };
    // Read after our transaction ended, so the winner's committed acc_id is visible.
    const row = await this.db.selectFrom('sipcluster_acc_key').select('acc_id')
      .where('callid', '=', key.callid).where('from_tag', '=', key.from_tag).where('to_tag', '=', key.to_tag)
      .executeTakeFirstOrThrow();
    return { id: Number(row.acc_id), inserted: false };
  }

  async get(id: number): Promise<AccRow | undefined> {
    const r = await this.db.selectFrom('acc').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : fromRow(r);
  }

  async listByCallid(callid: string): Promise<AccRow[]> {
    const rows = await this.db.selectFrom('acc').selectAll().where('callid', '=', callid).orderBy('id').execute();
    return rows.map(fromRow);
  }
}

async function insertAcc(db: Kysely<StoreDatabase>, dialect: StoreDialect, r: AccRecord): Promise<number> {
  const values = {
    method: r.method,
    from_tag: r.fromTag,
    to_tag: r.toTag,
    callid: r.callid,
    sip_code: r.sipCode,
    sip_reason: r.sipReason,
    time: toSqlDateTime(r.time),
    duration: r.duration,
    ms_duration: r.msDuration,
    setuptime: r.setuptime,
    created: r.created === null ? null : toSqlDateTime(r.created),
    src_user: r.srcUser ?? '',
    src_domain: r.srcDomain ?? '',
    dst_user: r.dstUser ?? '',
    dst_domain: r.dstDomain ?? '',
    node_id: r.nodeId ?? 0,
  };
  if (dialect === 'postgres') {
    const row = await db.insertInto('acc').values(values).returning('id').executeTakeFirstOrThrow();
    return Number(row.id);
  }
  const res = await db.insertInto('acc').values(values).executeTakeFirstOrThrow();
  return Number(res.insertId);
}

function fromRow(r: Selectable<AccTable>): AccRow {
  return {
    id: Number(r.id),
    method: r.method,
    fromTag: r.from_tag,
    toTag: r.to_tag,
    callid: r.callid,
    sipCode: r.sip_code,
    sipReason: r.sip_reason,
    time: fromSqlDateTime(r.time),
    duration: Number(r.duration),
    msDuration: Number(r.ms_duration),
    setuptime: Number(r.setuptime),
    created: r.created === null ? null : fromSqlDateTime(r.created),
    // CHAR columns come back space-padded from some engines (pg char(n)); ours are varchar there.
    srcUser: r.src_user.trimEnd(),
    srcDomain: r.src_domain.trimEnd(),
    dstUser: r.dst_user.trimEnd(),
    dstDomain: r.dst_domain.trimEnd(),
    nodeId: Number(r.node_id),
  };
}
