/**
 * What `relay()` returns: awaitable, but a Promise is only made when someone awaits it, so a
 * synchronous script that relays and returns pays nothing for it (DESIGN.md §8).
 */
import type { RelayOutcome } from './proxy-types.ts';

export interface OutcomeSource {
  outcomePromise(): Promise<RelayOutcome>;
}

export class RelayResult implements PromiseLike<RelayOutcome> {
  constructor(private readonly source: OutcomeSource | undefined, private readonly known?: RelayOutcome) {}

  /** An outcome decided at once (refused relay, stateless forward). */
  static now(o: RelayOutcome): RelayResult {
    return new RelayResult(undefined, o);
  }

  /** The outcome if already decided, without waiting. */
  get settled(): RelayOutcome | undefined {
    return this.known;
  }

  then<A = RelayOutcome, B = never>(
    onFulfilled?: ((value: RelayOutcome) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): PromiseLike<A | B> {
    const p = this.known !== undefined || this.source === undefined
      ? Promise.resolve(this.known ?? { result: 'refused', status: 0 } as RelayOutcome)
      : this.source.outcomePromise();
    return p.then(onFulfilled, onRejected);
  }
}
