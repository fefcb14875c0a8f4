import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildResponse } from '../sip/message/index.ts';
import { CALLER, PROXY_IP, harness, isReq, isRes, only, request } from '../../test/support/proxy-harness.ts';
import { defineRoutes, type Routes } from './api.ts';
import type { AuthPort, RegistrarPort } from './ports.ts';
import { portOf } from './proxy-binding.ts';
import { ScriptHost } from './script-host.ts';

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

function run(routes: Routes) {
  const h = harness();
  // ctx.nat needs neither the registrar nor auth.
  const host = new ScriptHost(routes, { registrar: {} as RegistrarPort, auth: {} as AuthPort, cluster: undefined, logger: quiet });
  h.proxy.onRequest = (pr) => host.handleRequest(portOf(pr));
  return h;
}

test('ctx.nat: an OpenSIPS-style NAT route — nat_uac_test(19) then fix_nated_contact in request and reply handlers', () => {
  const seen: string[] = [];
  const h = run(defineRoutes({
    request(req, ctx) {
      const nated = ctx.nat.test();
      seen.push(`request ${nated} ${ctx.nat.test('private-sdp')} ${ctx.nat.test(2)}`);
      if (nated) ctx.nat.fixContact(';nat=yes');
      void ctx.relay();
    },
    reply(res, ctx) {
      seen.push(`reply ${res.status} from ${ctx.source?.address}:${ctx.source?.port} ${ctx.nat.test()}`);
      if (ctx.nat.test()) ctx.nat.fixContact();
    },
  }));
  const caller = { ...CALLER, remoteAddress: '203.0.113.7', remotePort: 40000 };
  h.recv(request().replace('Contact: <sip:alice@192.0.2.10:5060>', 'Contact: <sip:alice@192.168.1.5:5062>'), caller);
  const inv = only(h.take(), isReq('INVITE')).msg;
  assert.equal(inv.get('Contact'), '<sip:alice@203.0.113.7:40000;nat=yes>');
  const callee = { proto: 'udp' as const, remoteAddress: '198.51.100.9', remotePort: 41000, localAddress: PROXY_IP, localPort: 5060 };
  h.core.receive(Buffer.from(buildResponse(inv, 200, 'OK', { toTag: 'b1', headers: [['Contact', '<sip:bob@10.1.1.20:5070>']] }).bytes), callee);
  assert.equal(only(h.take(), isRes(200)).msg.get('Contact'), '<sip:bob@198.51.100.9:41000>');
  assert.deepEqual(seen, ['request true false true', 'reply 200 from 198.51.100.9:41000 true']);
});

test('ctx.nat.test throws a TypeError for an unknown check, and the request gets 500 (the script erred)', () => {
  const h = run(defineRoutes({
    request(_req, ctx) { ctx.nat.test('private-contakt' as never); void ctx.relay(); },
  }));
  h.recv(request({ method: 'MESSAGE' }));
  assert.equal(only(h.take()).msg.status, 500);
});
