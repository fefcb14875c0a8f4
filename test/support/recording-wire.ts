/** Test double of TxWire that records what was sent and when (test support). */
import type { FakeClock } from '../../src/lib/fake-time.ts';
import type { TxWire } from '../../src/sip/transaction/transaction-user.ts';

export class RecordingWire implements TxWire {
  readonly sent: Array<{ atMs: number; data: string }> = [];
  failNext = false;
  constructor(private readonly clock: FakeClock, readonly reliable = false) {}
  send(data: Buffer): boolean {
    if (this.failNext) return false;
    this.sent.push({ atMs: this.clock.nowMs(), data: data.toString() });
    return true;
  }
  times(data: string): number[] {
    return this.sent.filter((s) => s.data === data).map((s) => s.atMs);
  }
}
