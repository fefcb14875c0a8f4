/**
 * The To tags of stateless non-2xx finals to INVITE that SipProxy cannot recompute from the ACK.
 *
 * The ACK of a non-2xx carries the INVITE's branch and the response's To tag (RFC 3261 §17.1.1.3)
 * and ends at the element that sent the response. After a stateless reply there is no transaction
 * to match it; SipProxy recognises the tag it derives from the request (deriveToTag, as OpenSIPS
 * sl_filter_ACK recognises its signature) and absorbs that ACK. A tag it did not derive — one the
 * caller chose (ReplyOptions.toTag), or the request's own in an in-dialog INVITE (§8.2.6.2) — is
 * remembered here for a short while, keyed by the INVITE's §17.2.3 transaction key, so that its ACK
 * is absorbed too instead of being handed to the script (which would loose-route it to a callee
 * that never saw the INVITE). OpenSIPS lets those through ("just a useless ACK is forwarded", sl
 * module docs). The key holds the branch: a later 2xx ACK of the same dialog (new branch,
 * §13.2.2.4) is not taken for it.
 *
 * Bounded in time and size, with no timer per entry: two generations of entries; each tick (one
 * timer, armed only while something is remembered) drops the older and starts a new one, so an
 * entry lives between one and two generations. A full generation starts the next at once (a flood
 * of such replies shortens the memory, never grows it). Nothing is kept, and nothing costs, when
 * every stateless reply uses the derived tag.
 */
import type { TimerHandle, Timers } from '../../lib/time.ts';

/**
 * Width of a generation. The ACK follows the response by a round trip (a lost response brings a
 * retransmitted INVITE, which is answered and remembered again); OpenSIPS filters for 2 s after its
 * last stateless reply (SL_RPL_WAIT_TIME).
 */
export const STATELESS_TAG_GENERATION_MS = 4_000;
/** Entries of one generation; at most twice this are held. */
export const MAX_STATELESS_TAGS_PER_GENERATION = 1_024;
/**
 * Longest key + tag remembered, in characters. Both come from the peer (branch, sent-by, To tag: up
 * to a line each); without a bound 2 048 entries could hold tens of MB. Real ones are well under
 * this; a longer one is not remembered, and its ACK reaches the script as before this memory existed.
 */
export const MAX_STATELESS_TAG_ENTRY_CHARS = 512;

export class StatelessReplyTags {
  private current = new Map<string, string>();
  private previous = new Map<string, string>();
  private timer: TimerHandle | undefined = undefined;
  // Made once per proxy: the tick is not a closure per entry.
  private readonly tick = (): void => {
    this.timer = undefined;
    this.shift();
    if (this.size > 0) this.timer = this.timers.after(this.generationMs, this.tick);
  };

  constructor(
    private readonly timers: Timers,
    private readonly generationMs = STATELESS_TAG_GENERATION_MS,
    private readonly maxPerGeneration = MAX_STATELESS_TAGS_PER_GENERATION,
  ) {}

  /** Tags remembered (SipProxy looks them up only when there are some). */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  /** A stateless non-2xx final to the INVITE of `inviteKey` went out with To tag `toTag`. */
  remember(inviteKey: string, toTag: string): void {
    if (inviteKey.length + toTag.length > MAX_STATELESS_TAG_ENTRY_CHARS) return;
    if (this.current.size >= this.maxPerGeneration) this.shift();
    this.current.set(inviteKey, toTag);
    this.timer ??= this.timers.after(this.generationMs, this.tick);
  }

  /** Is this the ACK of such a final: its INVITE's key, and the tag that final carried? */
  matches(inviteKey: string, toTag: string): boolean {
    return this.current.get(inviteKey) === toTag || this.previous.get(inviteKey) === toTag;
  }

  private shift(): void {
    const emptied = this.previous;
    emptied.clear();
    this.previous = this.current;
    this.current = emptied;
  }
}
