/** The routing script's OpenSIPS force_send_socket / $fs: ctx.setSendSocket, ctx.sendSocket, relay option socket. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CALLEE_IP, PROXY_IP, harness, isReq, isRes, only, request } from '../../test/support/proxy-harness.ts';
import type { ProxyListener } from '../sip/proxy/index.ts';
import { defineRoutes, type RequestContext } from './api.ts';
import type { AuthPort, RegistrarPort } from './ports.ts';
import { portOf } from './proxy-binding.ts';
import { ScriptHost } from './script-host.ts';

const PRIVATE_IP = '10.0.1.1';
const LISTENERS: ProxyListener[] = [
  { proto: 'udp', address: PROXY_IP, port: 5060 },
  { proto: 'udp', address: PRIVATE_IP, port: 5070 },
];

const logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const registrar = {} as RegistrarPort;
const auth = {} as AuthPort;
const flush = () => new Promise((r) => setImmediate(r));

function node(routes: Parameters<typeof defineRoutes>[0]) {
  const h = harness({ listeners: LISTENERS });
  const sh = new ScriptHost(defineRoutes(routes), { registrar, auth, cluster: undefined, logger });
  h.proxy.onRequest = (pr) => sh.handleRequest(portOf(pr));
  return h;
}

test('ctx.setSendSocket: the relayed INVITE leaves from that listener, named by its Via and Record-Route; ctx.sendSocket reads it back', async () => {
  const seen: Array<string | undefined> = [];
  const h = node({
    async request(_req, ctx) {
      seen.push(ctx.sendSocket);
      ctx.setSendSocket('udp:10.0.1.1:5070');
      seen.push(ctx.sendSocket);
      ctx.recordRoute();
      await ctx.relay();
    },
  });
  h.recv(request());
  await flush();
  assert.deepEqual(seen, [undefined, 'udp:10.0.1.1:5070']);
  const f = only(h.take(), isReq('INVITE'));
  assert.deepEqual(f.target, { proto: 'udp', address: CALLEE_IP, port: 5060, localAddress: PRIVATE_IP, localPort: 5070 });
  assert.deepEqual([f.msg.topVia.host, f.msg.topVia.port], [PRIVATE_IP, 5070]);
  assert.deepEqual(f.msg.getList('Record-Route'), [`<sip:${PRIVATE_IP}:5070;lr>`, `<sip:${PROXY_IP}:5060;lr>`]);
});

test('the relay option socket, and $fs set in the failure handler before relaying again', async () => {
  const h = node({
    async request(_req, ctx) { await ctx.relay('sip:bob@192.0.2.20', { socket: 'udp:10.0.1.1:5070' }); },
    async failure(_best, _status, ctx) {
      ctx.setSendSocket('udp:10.0.1.1');
      await ctx.relay('sip:vm@192.0.2.30');
    },
  });
  h.recv(request({ method: 'MESSAGE' }));
  await flush();
  const first = only(h.take(), isReq('MESSAGE'));
  assert.deepEqual([first.target.localAddress, first.msg.topVia.host], [PRIVATE_IP, PRIVATE_IP]);
  h.answer(first.msg, 486, 'Busy Here');
  await flush();
  const second = only(h.take(), isReq('MESSAGE'));
  assert.equal(second.msg.uriText, 'sip:vm@192.0.2.30');
  assert.deepEqual([second.target.localAddress, second.msg.topVia.host], [PRIVATE_IP, PRIVATE_IP]);
});

test('a socket the node does not listen on, or a malformed one, is a TypeError in the handler: the error handler sees it, the request gets 500, nothing is relayed', async () => {
  for (const bad of [
    (ctx: RequestContext) => ctx.setSendSocket('udp:192.0.2.99:5060'),
    (ctx: RequestContext) => ctx.setSendSocket('udp:10.0.1.1:5070:5071'),
    (ctx: RequestContext) => ctx.relay('sip:bob@192.0.2.20', { socket: 'tcp:10.0.1.1:5070' }),
  ]) {
    const errors: unknown[] = [];
    const h = node({
      async request(_req, ctx) { await bad(ctx); await ctx.relay(); },
      error(err) { errors.push(err); },
    });
    h.recv(request({ method: 'MESSAGE' }));
    await flush(); await flush();
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof TypeError, String(errors[0]));
    assert.match((errors[0] as Error).message, /send socket/);
    const s = h.take();
    assert.equal(s.filter((x) => x.msg.isRequest).length, 0);
    only(s, isRes(500));
  }
});
