import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipMessage } from '../sip/message/index.ts';
import type { BranchInfo, ProxyRequest } from '../sip/proxy/index.ts';
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

test('the accounting observer and the script reply hook both see every response, whichever is set first', () => {
  const seen: string[] = [];
  const res = { status: 200 } as unknown as SipMessage;
  for (const order of ['hooks-first', 'observer-first'] as const) {
    seen.length = 0;
    const raw = { onReply: undefined, onFailure: undefined } as unknown as ProxyRequest & { onReply?: (r: SipMessage, b: BranchInfo) => void };
    const port = portOf(raw);
    const hooks = () => port.setHooks({ onReply: () => { seen.push('script'); } });
    const observe = () => port.observeReplies(() => { seen.push('observer'); });
    if (order === 'hooks-first') { hooks(); observe(); } else { observe(); hooks(); }
    raw.onReply?.(res, { index: 0, uri: 'sip:bob@192.0.2.9', target: undefined, status: 0, responseSource: undefined });
    assert.deepEqual(seen, ['observer', 'script'], order);
  }
  // An observer alone is installed too (no script reply handler).
  const raw = { onReply: undefined } as unknown as ProxyRequest & { onReply?: (r: SipMessage) => void };
  const port = portOf(raw);
  port.setHooks({});
  let n = 0;
  port.observeReplies(() => { n++; });
  port.observeReplies(() => { n += 10; });
  raw.onReply?.(res);
  assert.equal(n, 11);
});
