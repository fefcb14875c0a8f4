/**
 * What pure code counts through. The registry that names, stores and exposes counters lives in
 * src/mgmt (statistics:get, later /metrics); pure folders only see this interface.
 */
export interface Counter {
  inc(by?: number): void;
}

export interface Gauge {
  set(value: number): void;
  inc(by?: number): void;
  dec(by?: number): void;
}

/** Hands out named counters; names are OpenSIPS-style `group:name` (e.g. `core:rcv_requests`). */
export interface CounterFactory {
  counter(name: string, help?: string): Counter;
  gauge(name: string, help?: string): Gauge;
}

/** A counter factory that counts nothing, for tests that do not look at statistics. */
export const nullCounters: CounterFactory = {
  counter: () => ({ inc: () => {} }),
  gauge: () => ({ set: () => {}, inc: () => {}, dec: () => {} }),
};
