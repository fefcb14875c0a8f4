/**
 * examples/where-is/routes.ts in one process, through the script host and the proxy, with a fake
 * cluster: a call relayed on a stale REGONLINE announcement that gets 480 asks the cluster once and
 * goes where HEREIS says (the failure handler, fed by typed per-transaction variables). The three
 * nodes over real sockets: test/e2e/where-is.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, isReq, isRes, only, request } from '../support/proxy-harness.ts';
import type { ClusterMessageEvent } from '../../src/script/api.ts';
import type { AuthPort, ClusterPort, RegistrarPort } from '../../src/script/ports.ts';
import { portOf } from '../../src/script/proxy-binding.ts';
import { ScriptHost } from '../../src/script/script-host.ts';
import routes, { RELAYED_BY } from '../../examples/where-is/routes.ts';

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const STALE = '192.0.2.31';
const FRESH = '192.0.2.32';

/** Node 3 of the example; bob@<host> is unknown here, and WHEREIS is answered by node 2. */
function node3(aor: string) {
  const asked: string[] = [];
  const cluster: ClusterPort = {
    nodeId: 3,
    sipAddress: 'sip:10.0.0.1:5060',
    broadcastReq: () => ({ tag: 'b', result: 'sent' }),
    sendReq: () => ({ tag: 's', result: 'sent' }),
    sendRpl: () => ({ tag: 'r', result: 'sent' }),
    request: (_clusterId, msg) => {
      asked.push(msg);
      const replies: ClusterMessageEvent[] = [{ clusterId: 1, srcId: 2, msg: `HEREIS:${aor}:sip:${FRESH}:5060`, tag: 'q' }];
      return Promise.resolve({ replies, complete: true, result: 'sent' });
    },
  };
  const registrar = { lookup: () => [], isRegistered: () => false, aorOf: (a: string) => a } as unknown as RegistrarPort;
  const host = new ScriptHost(routes, { registrar, auth: {} as AuthPort, cluster, logger: quiet });
  const h = harness();
  h.proxy.onRequest = (pr) => host.handleRequest(portOf(pr));
  // Node 1 announced the user once; it has lost the binding since, and said nothing.
  host.clusterRequest({ clusterId: 1, srcId: 1, msg: `REGONLINE:${aor}:sip:${STALE}:5060`, tag: 'a' });
  return { h, asked };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

test('a 480 from the node a stale announcement named: the failure handler forgets it, asks WHEREIS once, and the call goes to the node that has the user', async () => {
  const { h, asked } = node3('bob@stale.example.com');
  h.recv(request({ uri: 'sip:bob@stale.example.com' }));
  await settle();
  const first = only(h.take(), isReq('INVITE'));
  assert.equal(first.target.address, STALE);
  assert.deepEqual(asked, [], 'the announcement was used, nobody asked');
  h.answer(first.msg, 480, 'Temporarily Unavailable');
  await settle();
  const second = only(h.take(), isReq('INVITE'));
  assert.equal(second.target.address, FRESH);
  assert.deepEqual(second.msg.getAll(RELAYED_BY), ['3']);
  assert.deepEqual(asked, ['WHEREIS:bob@stale.example.com']);
  // Once only: the asked node's 480 goes up to the caller.
  h.answer(second.msg, 480, 'Temporarily Unavailable');
  await settle();
  assert.ok(only(h.take(), isRes(480)));
  assert.equal(asked.length, 1);
  // The stale entry is gone: the next call asks instead of trying node 1 again.
  h.recv(request({ uri: 'sip:bob@stale.example.com', callId: 'call-2', branch: 'z9hG4bKcall2' }));
  await settle();
  assert.equal(only(h.take(), isReq('INVITE')).target.address, FRESH);
  assert.equal(asked.length, 2);
});

test('the user\'s own answer (486 Busy Here) from the announced node goes up as it is: no question to the cluster', async () => {
  const { h, asked } = node3('bob@busy.example.com');
  h.recv(request({ uri: 'sip:bob@busy.example.com' }));
  await settle();
  const first = only(h.take(), isReq('INVITE'));
  assert.equal(first.target.address, STALE);
  h.answer(first.msg, 486, 'Busy Here');
  await settle();
  assert.ok(only(h.take(), isRes(486)));
  assert.deepEqual(asked, []);
});
