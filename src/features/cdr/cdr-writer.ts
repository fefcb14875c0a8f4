/**
 * The writer node's side: a CDR request from a sender becomes one `acc` row, written with
 * AccRepo.insertOnce, idempotent on (Call-ID, From tag, To tag), and the reply carries the row
 * id — the same id when the CDR was already written (a retry after a lost reply), so the sender
 * can drop it from its spool either way. OpenSIPS acc CDR semantics for the columns: `time` is the
 * INVITE's time (start − setup), `duration`/`ms_duration` run from the 2xx to the end,
 * `setuptime` from the INVITE to the 2xx (seconds, rounded down as OpenSIPS does).
 */
import type { Counter, CounterFactory } from '../../lib/counter.ts';
import type { AccRecord, AccRepo } from '../../store/acc-repo.ts';
import { splitAor, type CallRecord } from './call-record.ts';
import { decodeCdr, encodeReply } from './cdr-codec.ts';

export interface WriterLog {
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export class CdrWriter {
  private readonly written: Counter;
  private readonly duplicates: Counter;
  private readonly malformed: Counter;
  private readonly failed: Counter;

  constructor(private readonly acc: AccRepo, counters: CounterFactory, private readonly log: WriterLog) {
    this.written = counters.counter('cdr:written', 'CDRs written to the acc table (writer node)');
    this.duplicates = counters.counter('cdr:duplicates', 'CDR requests for a call already written (a retry after a lost reply); answered with the first row id');
    this.malformed = counters.counter('cdr:malformed', 'CDR requests dropped as malformed (refused with CDRERR)');
    this.failed = counters.counter('cdr:write_failed', 'CDR writes the database failed (the sender retries)');
  }

  /** Handles one CDR request text; resolves with the reply text. Never rejects. */
  async handle(text: string, srcNodeId: number): Promise<string> {
    const d = decodeCdr(text);
    if (!d.ok) {
      this.malformed.inc();
      this.log.warn('malformed CDR request dropped', { code: d.error.code, reason: d.error.message, from: srcNodeId, cdr: text.slice(0, 512) });
      return encodeReply({ ok: false, code: d.error.code });
    }
    try {
      const r = await this.acc.insertOnce(accRecordOf(d.value));
      if (r.inserted) this.written.inc();
      else this.duplicates.inc();
      return encodeReply({ ok: true, id: r.id });
    } catch (e) {
      this.failed.inc();
      this.log.error('CDR write failed; the sender will retry', { from: srcNodeId, callid: d.value.callid, err: String(e) });
      return encodeReply({ ok: false, code: 'FEATURE_CDR_WRITE_FAILED' });
    }
  }
}

/** The acc row of a call record (OpenSIPS CDR mode, plus the extra columns of migration 3). */
export function accRecordOf(r: CallRecord): AccRecord {
  const caller = splitAor(r.caller);
  const callee = splitAor(r.callee);
  return {
    method: 'INVITE',
    fromTag: r.fromTag,
    toTag: r.toTag,
    callid: r.callid,
    sipCode: String(r.sipCode),
    sipReason: r.sipReason,
    time: new Date(r.startWallMs - r.setupMs),
    duration: Math.floor(r.durationMs / 1000),
    msDuration: r.durationMs,
    setuptime: Math.floor(r.setupMs / 1000),
    created: new Date(r.startWallMs + r.durationMs),
    srcUser: caller.user,
    srcDomain: caller.domain,
    dstUser: callee.user,
    dstDomain: callee.domain,
    nodeId: r.nodeId,
  };
}
