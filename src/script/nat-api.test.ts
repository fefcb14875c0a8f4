import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildResponse } from '../sip/message/index.ts';
import { CALLER, PROXY_IP, isReq, isRes, only, request } from '../../test/support/proxy-harness.ts';
import { scriptHarness } from '../../test/support/script-harness.ts';
import { defineRoutes } from './api.ts';

// ctx.nat needs neither the registrar nor auth.
const run = scriptHarness;

test('ctx.nat: an OpenSIPS-style NAT route — nat_uac_test(19) then fix_nated_contact in request and reply handlers', () => {
  const seen: string[] = [];
  const h = run(defineRoutes({
    request(req, ctx) {
      const nated = ctx.nat.test();
      seen.push(`request ${nated} ${ctx.nat.test('private-sdp')} ${ctx.nat.test(2)}`);
      if (nated) { ctx.nat.fixContact(';nat=yes'); ctx.nat.fixSdp(); }
      void ctx.relay();
    },
    reply(res, ctx) {
      seen.push(`reply ${res.status} from ${ctx.source?.address}:${ctx.source?.port} ${ctx.nat.test()}`);
      if (ctx.nat.test()) { ctx.nat.fixContact(); ctx.nat.fixSdp(); }
    },
  }));
  const caller = { ...CALLER, remoteAddress: '203.0.113.7', remotePort: 40000 };
  const sdp = 'v=0\r\no=alice 1 1 IN IP4 192.168.1.5\r\ns=-\r\nc=IN IP4 192.168.1.5\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
  const offer = request().replace('Contact: <sip:alice@192.0.2.10:5060>', 'Contact: <sip:alice@192.168.1.5:5062>')
    .replace('Content-Length: 0\r\n\r\n', `Content-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`);
  h.recv(offer, caller);
  const inv = only(h.take(), isReq('INVITE')).msg;
  assert.equal(inv.get('Contact'), '<sip:alice@203.0.113.7:40000;nat=yes>');
  assert.match(inv.body.toString(), /^c=IN IP4 203\.0\.113\.7\r$/m);
  assert.match(inv.body.toString(), /^o=alice 1 1 IN IP4 192\.168\.1\.5\r$/m, 'o= only with origin: true');
  assert.equal(inv.contentLength, inv.body.length);
  const callee = { proto: 'udp' as const, remoteAddress: '198.51.100.9', remotePort: 41000, localAddress: PROXY_IP, localPort: 5060 };
  const answer = 'v=0\r\no=bob 1 1 IN IP4 10.1.1.20\r\ns=-\r\nc=IN IP4 10.1.1.20\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n';
  const ok = buildResponse(inv, 200, 'OK', { toTag: 'b1', headers: [['Contact', '<sip:bob@10.1.1.20:5070>'], ['Content-Type', 'application/sdp']], body: answer });
  h.core.receive(Buffer.from(ok.bytes), callee);
  const up = only(h.take(), isRes(200)).msg;
  assert.equal(up.get('Contact'), '<sip:bob@198.51.100.9:41000>');
  assert.match(up.body.toString(), /^c=IN IP4 198\.51\.100\.9\r$/m);
  // The 200 retransmitted after the call was answered goes up with the same edits, without the handler.
  h.core.receive(Buffer.from(ok.bytes), callee);
  assert.match(only(h.take(), isRes(200)).msg.body.toString(), /^c=IN IP4 198\.51\.100\.9\r$/m);
  assert.deepEqual(seen, ['request true true true', 'reply 200 from 198.51.100.9:41000 true']);
});

test('ctx.nat.test throws a TypeError for an unknown check, and the request gets 500 (the script erred)', () => {
  const h = run(defineRoutes({
    request(_req, ctx) { ctx.nat.test('private-contakt' as never); void ctx.relay(); },
  }));
  h.recv(request({ method: 'MESSAGE' }));
  assert.equal(only(h.take()).msg.status, 500);
});

test('ctx.nat alias: a Kamailio-style route — add_contact_alias on the INVITE and on the NATed callee\'s 200, handle_ruri_alias on the BYE', () => {
  const seen: string[] = [];
  const h = run(defineRoutes({
    request(req, ctx) {
      if (ctx.inDialog) {
        ctx.looseRoute();
        seen.push(`${req.method} alias ${ctx.nat.handleRuriAlias()} ${ctx.requestUri} ${ctx.destination}`);
      } else {
        seen.push(`${req.method} contact ${ctx.nat.addContactAlias()}`);
        ctx.recordRoute();
      }
      void ctx.relay();
    },
    reply(res, ctx) {
      seen.push(`reply ${res.status} ${ctx.nat.addContactAlias()}`);
    },
  }));
  const caller = { ...CALLER, remoteAddress: '203.0.113.7', remotePort: 40000 };
  h.recv(request().replace('Contact: <sip:alice@192.0.2.10:5060>', 'Contact: <sip:alice@192.168.1.5:5062>'), caller);
  const inv = only(h.take(), isReq('INVITE')).msg;
  assert.equal(inv.get('Contact'), '<sip:alice@192.168.1.5:5062;alias=203.0.113.7~40000~1>');
  const callee = { proto: 'udp' as const, remoteAddress: '198.51.100.9', remotePort: 41000, localAddress: PROXY_IP, localPort: 5060 };
  const ok = buildResponse(inv, 200, 'OK', { toTag: 'b1', headers: [['Contact', '<sip:bob@10.1.1.20:5070>']] });
  h.core.receive(Buffer.from(ok.bytes), callee);
  assert.equal(only(h.take(), isRes(200)).msg.get('Contact'), '<sip:bob@10.1.1.20:5070;alias=198.51.100.9~41000~1>');
  // The 200 retransmitted after the call was answered goes up with the same Contact, without the handler.
  h.core.receive(Buffer.from(ok.bytes), callee);
  assert.equal(only(h.take(), isRes(200)).msg.get('Contact'), '<sip:bob@10.1.1.20:5070;alias=198.51.100.9~41000~1>');
  // The callee hangs up: its BYE goes to the Contact it got, along our Record-Route.
  const bye = request({ method: 'BYE', uri: 'sip:alice@192.168.1.5:5062;alias=203.0.113.7~40000~1', toTag: 'b1', branch: 'z9hG4bKbye', cseq: 2 })
    .replace('Content-Length', `Route: <sip:${PROXY_IP};lr>\r\nContent-Length`);
  h.recv(bye, callee);
  const out = only(h.take(), isReq('BYE'));
  assert.deepEqual([out.target.address, out.target.port, out.msg.uriText], ['203.0.113.7', 40000, 'sip:alice@192.168.1.5:5062']);
  assert.deepEqual(seen, [
    'INVITE contact true', 'reply 200 true',
    'BYE alias true sip:alice@192.168.1.5:5062 sip:203.0.113.7:40000',
  ]);
});

test('ctx.nat alias: no Contact, a `*` Contact, or a malformed alias says false and the request is still relayed (no exception, no 500)', () => {
  const seen: boolean[] = [];
  const h = run(defineRoutes({
    request(req, ctx) {
      seen.push(ctx.nat.addContactAlias(), ctx.nat.handleRuriAlias());
      if (req.method === 'REGISTER') void ctx.reply(200); else void ctx.relay();
    },
  }));
  h.recv(request({ method: 'MESSAGE', uri: 'sip:bob@192.0.2.20;alias=bob.example.com~5060~1' }).replace(/Contact: [^\r]*\r\n/, ''));
  assert.equal(only(h.take(), isReq('MESSAGE')).msg.uriText, 'sip:bob@192.0.2.20;alias=bob.example.com~5060~1');
  h.recv(request({ method: 'REGISTER', uri: 'sip:example.com;alias=[2001:db8::1~5060~1', branch: 'z9hG4bKreg' })
    .replace('Contact: <sip:alice@192.0.2.10:5060>', 'Contact: *\r\nExpires: 0'));
  assert.equal(only(h.take()).msg.status, 200);
  assert.deepEqual(seen, [false, false, false, false]);
});

test('ctx.nat: fixContact after addContactAlias says false and the alias stays, in request and in reply (Kamailio refuses a second Contact edit in either order)', () => {
  const seen: string[] = [];
  const h = run(defineRoutes({
    request(req, ctx) {
      seen.push(`${req.method} alias ${ctx.nat.addContactAlias()} fix ${ctx.nat.fixContact(';nat=yes')}`);
      void ctx.relay();
    },
    reply(res, ctx) {
      seen.push(`reply ${res.status} alias ${ctx.nat.addContactAlias()} fix ${ctx.nat.fixContact()}`);
    },
  }));
  const caller = { ...CALLER, remoteAddress: '203.0.113.7', remotePort: 40000 };
  h.recv(request().replace('Contact: <sip:alice@192.0.2.10:5060>', 'Contact: <sip:alice@192.168.1.5:5062>'), caller);
  const inv = only(h.take(), isReq('INVITE')).msg;
  assert.equal(inv.get('Contact'), '<sip:alice@192.168.1.5:5062;alias=203.0.113.7~40000~1>');
  const callee = { proto: 'udp' as const, remoteAddress: '198.51.100.9', remotePort: 41000, localAddress: PROXY_IP, localPort: 5060 };
  const ok = buildResponse(inv, 200, 'OK', { toTag: 'b1', headers: [['Contact', '<sip:bob@10.1.1.20:5070>']] });
  h.core.receive(Buffer.from(ok.bytes), callee);
  assert.equal(only(h.take(), isRes(200)).msg.get('Contact'), '<sip:bob@10.1.1.20:5070;alias=198.51.100.9~41000~1>');
  assert.deepEqual(seen, ['INVITE alias true fix false', 'reply 200 alias true fix false']);
});

test('reply handler: a 2xx of a second dialog on the same branch, after the call was answered, runs it too, with the request\'s vars; a retransmission does not', () => {
  const seen: string[] = [];
  const h = run(defineRoutes({
    request(_req, ctx) { ctx.vars.set('leg', 'a'); void ctx.relay(); },
    reply(res, ctx) {
      seen.push(`${res.status} ${res.to.tag} ${String(ctx.vars.get('leg'))} ${ctx.req.method}`);
      ctx.nat.fixContact();
    },
  }));
  h.recv(request());
  const inv = only(h.take(), isReq('INVITE')).msg;
  const callee = { proto: 'udp' as const, remoteAddress: '198.51.100.9', remotePort: 41000, localAddress: PROXY_IP, localPort: 5060 };
  const ok = (tag: string) => Buffer.from(buildResponse(inv, 200, 'OK', { toTag: tag, headers: [['Contact', `<sip:${tag}@10.1.1.20:5070>`]] }).bytes);
  h.core.receive(ok('d1'), callee);
  assert.equal(only(h.take(), isRes(200)).msg.get('Contact'), '<sip:d1@198.51.100.9:41000>');
  h.core.receive(ok('d2'), callee);
  assert.equal(only(h.take(), isRes(200)).msg.get('Contact'), '<sip:d2@198.51.100.9:41000>');
  h.core.receive(ok('d2'), callee);
  assert.equal(only(h.take(), isRes(200)).msg.get('Contact'), '<sip:d2@198.51.100.9:41000>');
  assert.deepEqual(seen, ['200 d1 a INVITE', '200 d2 a INVITE']);
});
