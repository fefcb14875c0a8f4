/**
 * What `relay()` returns: a Promise to the script (then / catch / finally, Promise.all, await),
 * but the underlying Promise is only made when one of those is called, so a synchronous script
 * that relays and returns pays nothing for it (DESIGN.md §8).
 */
import type { RelayOutcome } from './proxy-types.ts';

export interface OutcomeSource {
  outcomePromise(): Promise<RelayOutcome>;
}

export class RelayResult implements Promise<RelayOutcome> {
  readonly [Symbol.toStringTag] = 'RelayResult';

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
  ): Promise<A | B> {
    return this.promise().then(onFulfilled, onRejected);
  }

  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<RelayOutcome | B> {
    return this.promise().catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<RelayOutcome> {
    return this.promise().finally(onFinally);
  }

  private promise(): Promise<RelayOutcome> {
    return this.known !== undefined || this.source === undefined
      ? Promise.resolve(this.known ?? { result: 'refused', status: 0 } as RelayOutcome)
      : this.source.outcomePromise();
  }
}
