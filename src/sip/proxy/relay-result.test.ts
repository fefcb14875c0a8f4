import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RelayResult } from './relay-result.ts';
import type { RelayOutcome } from './proxy-types.ts';

test('relay() gives a Promise: then, catch and finally work, and Promise.all takes it', async () => {
  const now = RelayResult.now({ result: 'refused', status: 0, code: 'SIP_PROXY_NO_TARGET' });
  assert.ok(now instanceof Object && typeof now.catch === 'function' && typeof now.finally === 'function');
  let finallyRan = false;
  assert.deepEqual(await now.finally(() => { finallyRan = true; }), { result: 'refused', status: 0, code: 'SIP_PROXY_NO_TARGET' });
  assert.equal(finallyRan, true);
  const [a, b] = await Promise.all([now, RelayResult.now({ result: 'answered', status: 200 })]);
  assert.equal(a?.result, 'refused');
  assert.equal(b?.status, 200);
  // A rejected outcome reaches catch().
  const failing = new RelayResult({ outcomePromise: () => Promise.reject(new Error('boom')) });
  assert.equal(await failing.catch((e: unknown) => (e as Error).message), 'boom');
  // Nothing is asked of the source until someone waits (a synchronous script pays nothing).
  let asked = 0;
  const lazy = new RelayResult({ outcomePromise: () => { asked++; return Promise.resolve({ result: 'failed', status: 486 } as RelayOutcome); } });
  assert.equal(asked, 0);
  assert.equal((await lazy).status, 486);
  assert.equal(asked, 1);
  assert.equal(Object.prototype.toString.call(lazy), '[object RelayResult]');
});
