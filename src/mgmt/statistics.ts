import type { Counter, CounterFactory, Gauge } from '../lib/counter.ts';

/**
 * The one registry of counters and gauges of a node. Names are OpenSIPS's `group:name`
 * (`core:rcv_requests`, `sip:dropped_malformed`), which is also how `statistics:get` lists them.
 * Every "dropped and counted" in the code base ends up here.
 */
export interface StatEntry {
  readonly name: string;
  readonly group: string;
  readonly kind: 'counter' | 'gauge';
  readonly help: string;
  value: number;
}

const NAME_RE = /^[A-Za-z0-9_.-]+:[A-Za-z0-9_.+-]+$/;

export class StatisticsRegistry implements CounterFactory {
  private readonly entries = new Map<string, StatEntry>();
  private readonly computed = new Map<string, { group: string; help: string; read: () => number }>();

  counter(name: string, help = ''): Counter {
    const e = this.entry(name, 'counter', help);
    return { inc: (by = 1) => { e.value += by; } };
  }

  gauge(name: string, help = ''): Gauge {
    const e = this.entry(name, 'gauge', help);
    return {
      set: (v: number) => { e.value = v; },
      inc: (by = 1) => { e.value += by; },
      dec: (by = 1) => { e.value -= by; },
    };
  }

  /** A gauge whose value is read when asked (sizes of tables, uptime). */
  computedGauge(name: string, read: () => number, help = ''): void {
    checkName(name);
    this.computed.set(name, { group: groupOf(name), help, read });
  }

  /**
   * OpenSIPS `statistics:get` semantics: each selector is `all`, `group:` (every statistic of the
   * group) or a full `group:name`. Unknown names are left out, as OpenSIPS does.
   */
  get(selectors: readonly string[]): Record<string, number> {
    const out: Record<string, number> = {};
    const all = this.snapshot();
    for (const sel of selectors) {
      if (sel === 'all') {
        Object.assign(out, all);
      } else if (sel.endsWith(':')) {
        for (const [k, v] of Object.entries(all)) if (k.startsWith(sel)) out[k] = v;
      } else if (Object.hasOwn(all, sel)) {
        out[sel] = all[sel] as number;
      }
    }
    return out;
  }

  /** Every statistic with its current value, sorted by name within insertion of groups. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.entries.values()) out[e.name] = e.value;
    for (const [name, c] of this.computed) out[name] = c.read();
    return out;
  }

  /** Names with kind and help, for statistics:list and later /metrics. */
  describe(): Array<{ name: string; kind: 'counter' | 'gauge'; help: string }> {
    const out: Array<{ name: string; kind: 'counter' | 'gauge'; help: string }> = [];
    for (const e of this.entries.values()) out.push({ name: e.name, kind: e.kind, help: e.help });
    for (const [name, c] of this.computed) out.push({ name, kind: 'gauge', help: c.help });
    return out;
  }

  /** statistics:reset — counters only; gauges describe state and are not reset (as OpenSIPS). */
  reset(names: readonly string[]): void {
    for (const n of names) {
      const e = this.entries.get(n);
      if (e !== undefined && e.kind === 'counter') e.value = 0;
    }
  }

  private entry(name: string, kind: 'counter' | 'gauge', help: string): StatEntry {
    checkName(name);
    const existing = this.entries.get(name);
    if (existing !== undefined) {
      if (existing.kind !== kind) throw new Error(`statistic ${name} registered as ${existing.kind} and ${kind}`);
      return existing;
    }
    const e: StatEntry = { name, group: groupOf(name), kind, help, value: 0 };
    this.entries.set(name, e);
    return e;
  }
}

function checkName(name: string): void {
  if (!NAME_RE.test(name)) throw new Error(`statistic name must be group:name, got ${JSON.stringify(name)}`);
}

function groupOf(name: string): string {
  return name.slice(0, name.indexOf(':'));
}
