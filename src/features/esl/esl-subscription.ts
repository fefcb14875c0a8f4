/**
 * The events a bridge subscribes to, as written in the config: plain event names
 * (`CHANNEL_CREATE`, `ALL`) and custom events as `CUSTOM <subclass>` (`CUSTOM conference::maintenance`).
 */
export interface EslSubscription {
  readonly all: boolean;
  readonly names: ReadonlySet<string>;
  readonly subclasses: ReadonlySet<string>;
}

const NAME = /^[A-Z][A-Z0-9_]*$/;
const SUBCLASS = /^[A-Za-z0-9_:.\-]+$/;

/** Why an entry of `esl.events` is not usable, or undefined when it is. */
export function eventEntryProblem(entry: string): string | undefined {
  const parts = entry.trim().split(/\s+/);
  if (parts[0] === 'CUSTOM') {
    if (parts.length !== 2) return 'expected CUSTOM followed by one subclass, e.g. "CUSTOM conference::maintenance"';
    return SUBCLASS.test(parts[1] as string) ? undefined : `subclass ${JSON.stringify(parts[1])} has characters FreeSWITCH subclasses do not`;
  }
  if (parts.length !== 1 || !NAME.test(parts[0] as string)) return 'expected an event name in capitals (CHANNEL_CREATE, ALL) or "CUSTOM <subclass>"';
  return undefined;
}

export function subscriptionOf(entries: readonly string[]): EslSubscription {
  const names = new Set<string>();
  const subclasses = new Set<string>();
  for (const e of entries) {
    const parts = e.trim().split(/\s+/);
    if (parts[0] === 'CUSTOM' && parts[1] !== undefined) subclasses.add(parts[1]);
    else if (parts[0] !== undefined && parts[0] !== '') names.add(parts[0]);
  }
  return { all: names.has('ALL'), names, subclasses };
}

/**
 * The subscription command: `event <format> NAME… [CUSTOM subclass…]`. In mod_event_socket every
 * word after CUSTOM is read as a subclass, so the plain names come first (mod_event_socket.c,
 * parse_command "event"). Ends with the empty line that ends every command.
 */
export function eventCommand(format: 'json' | 'plain', sub: EslSubscription): string {
  const words = [...sub.names];
  if (sub.subclasses.size > 0) words.push('CUSTOM', ...sub.subclasses);
  return `event ${format} ${words.join(' ')}\n\n`;
}

/** Whether a received event is one the bridge chose (FreeSWITCH may send more, e.g. after `ALL`). */
export function isChosen(sub: EslSubscription, name: string, subclass: string | undefined): boolean {
  if (sub.all) return true;
  if (name === 'CUSTOM') return subclass !== undefined && sub.subclasses.has(subclass);
  return sub.names.has(name);
}
