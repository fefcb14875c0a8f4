import type { CounterFactory } from '../../src/lib/counter.ts';

/** A CounterFactory that keeps every counter and gauge in a Map, for tests that assert statistics. */
export function counting(): { factory: CounterFactory; values: Map<string, number> } {
  const values = new Map<string, number>();
  const add = (n: string, by: number) => values.set(n, (values.get(n) ?? 0) + by);
  return {
    values,
    factory: {
      counter: (n) => ({ inc: (by = 1) => add(n, by) }),
      gauge: (n) => ({ set: (v) => values.set(n, v), inc: (by = 1) => add(n, by), dec: (by = 1) => add(n, -by) }),
    },
  };
}
