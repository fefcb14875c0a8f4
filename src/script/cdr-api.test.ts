import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, isReq, only, request } from '../../test/support/proxy-harness.ts';
import { cdrApiOf, NO_CDR } from './cdr-api.ts';
import { portOf } from './proxy-binding.ts';
import type { CdrPort, ProxyRequestPort } from './ports.ts';

test('ctx.cdr: inert without cdr:, otherwise account() asks the node for this request', () => {
  assert.equal(NO_CDR.enabled, false);
  assert.equal(NO_CDR.account(), false);
  const asked: ProxyRequestPort[] = [];
  const port: CdrPort = { account: (pr) => { asked.push(pr); return true; } };
  const pr = {} as ProxyRequestPort;
  const api = cdrApiOf(port, pr);
  assert.equal(api.enabled, true);
  assert.equal(api.account(), true);
  assert.deepEqual(asked, [pr]);
});

test('the accounting observer and the script reply hook both see every response, whichever is set first, and an observer set after the relay too', () => {
  const seen: string[] = [];
  for (const order of ['hooks-first', 'observer-first', 'observer-after-relay'] as const) {
    seen.length = 0;
    const h = harness();
    h.proxy.onRequest = (pr) => {
      const port = portOf(pr);
      const hooks = () => port.setHooks({ onReply: () => { seen.push('script'); } });
      const observe = () => port.observeReplies(() => { seen.push('observer'); });
      if (order === 'hooks-first') { hooks(); observe(); } else if (order === 'observer-first') { observe(); hooks(); } else hooks();
      void port.relay([{ uri: 'sip:bob@192.0.2.20' }], {});
      // The script's reply hook belongs to the branches of the relay; the observer to the request.
      if (order === 'observer-after-relay') observe();
    };
    h.recv(request());
    h.answer(only(h.take(), isReq('INVITE')).msg, 180, 'Ringing');
    assert.deepEqual(seen, ['observer', 'script'], order);
  }
  // An observer alone is installed too (no script reply handler), and observers add up.
  const h = harness();
  let n = 0;
  h.proxy.onRequest = (pr) => {
    const port = portOf(pr);
    port.setHooks({});
    port.observeReplies(() => { n++; });
    port.observeReplies(() => { n += 10; });
    void port.relay([{ uri: 'sip:bob@192.0.2.20' }], {});
  };
  h.recv(request());
  h.answer(only(h.take(), isReq('INVITE')).msg, 180, 'Ringing');
  assert.equal(n, 11);
});
