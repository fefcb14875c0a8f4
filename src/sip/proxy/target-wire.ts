import type { TxWire } from '../transaction/index.ts';
import type { SendWatcher, SipOutput, SipTarget } from './sip-source.ts';

/**
 * A transaction's way to its peer: the upstream caller of a server transaction, or a branch's
 * next hop (undefined while it has none: sends fail, as a transport error would). A class rather
 * than an object literal with an arrow: each closure made per transaction costs an
 * Object.defineProperty under tsx (esbuild keepNames' __name), about 0.25 µs.
 */
export class TargetWire implements TxWire {
  constructor(
    private readonly out: SipOutput,
    private readonly target: SipTarget | undefined,
    readonly reliable: boolean,
    /** Told of a failure the transport finds after send returned (a branch's wire: the branch). */
    private readonly watcher?: SendWatcher,
  ) {}

  send(data: Buffer): boolean {
    return this.target !== undefined && this.out.send(this.target, data, this.watcher);
  }
}
