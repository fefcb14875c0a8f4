import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, type SipMessage } from '../sip/message/index.ts';
import { defineRoutes, type RelayTarget } from './api.ts';
import type { AuthPort, ProxyRequestPort, RegistrarPort } from './ports.ts';
import { ScriptHost } from './script-host.ts';
import { portOf } from './proxy-binding.ts';
import { harness, request } from '../../test/support/proxy-harness.ts';
import { MAX_FAILURE_ROUNDS } from '../sip/proxy/proxy-transaction.ts';

function msg(method: string, extra = ''): SipMessage {
  const r = parseMessage(Buffer.from([
    `${method} sip:bob@example.com SIP/2.0`, 'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1', 'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a', 'To: <sip:bob@example.com>', 'Call-ID: c1', `CSeq: 1 ${method}`,
    ...(extra === '' ? [] : [extra]), 'Content-Length: 0', '', '',
  ].join('\r\n')));
  assert.ok(r.ok);
  return r.value;
}

class FakeRequest implements ProxyRequestPort {
  readonly vars = new Map<string, unknown>();
  readonly src = { proto: 'udp' as const, remoteAddress: '192.0.2.1', remotePort: 5060, localAddress: '127.0.0.1', localPort: 5060 };
  replies: Array<{ status: number; reason: string; headers: ReadonlyArray<readonly [string, string]> }> = [];
  relays: RelayTarget[][] = [];
  hooks: Parameters<ProxyRequestPort['setHooks']>[0] = {};
  handled = false;
  constructor(readonly msg: SipMessage) {}
  reply(status: number, reason: string, opts?: { headers?: ReadonlyArray<readonly [string, string]> }): boolean {
    this.replies.push({ status, reason, headers: opts?.headers ?? [] });
    if (status >= 200) this.handled = true;
    return true;
  }
  replyFromNode(status: number, reason: string, opts?: { headers?: ReadonlyArray<readonly [string, string]> }): boolean {
    return this.reply(status, reason, opts);
  }
  async relay(targets: readonly RelayTarget[] | undefined, _opts?: unknown, hooks?: Parameters<ProxyRequestPort['setHooks']>[0]) {
    if (hooks !== undefined) this.hooks = hooks;
    this.handled = true;
    this.relays.push([...(targets ?? [])]);
    return { result: 'failed' as const, status: 486 };
  }
  forwardStateless(): void { this.handled = true; }
  drop(): void {}
  recordRoute(): void {}
  looseRoute(): boolean { return false; }
  requestUri = 'sip:bob@example.com';
  destination: string | undefined = undefined;
  setRequestUri(uri: string): void { this.requestUri = uri; }
  setDestination(uri: string): void { this.destination = uri; }
  sendSocket: string | undefined = undefined;
  setSendSocket(socket: string | undefined): void { this.sendSocket = socket; }
  addHeader(): void {}
  removeHeader(): void {}
  removeHeaderLine(): void {}
  fixNatedContact(): boolean { return false; }
  fixNatedSdp(): boolean { return false; }
  addContactAlias(): boolean { return false; }
  handleRuriAlias(): boolean { return false; }
  cancelled = false;
  setHooks(h: Parameters<ProxyRequestPort['setHooks']>[0]): void { this.hooks = h; }
  observers: Array<(res: SipMessage) => void> = [];
  observeReplies(fn: (res: SipMessage) => void): void { this.observers.push(fn); }
}

const logs: string[] = [];
const logger = { debug: () => {}, info: () => {}, warn: (_o: object, m: string) => { logs.push(`warn ${m}`); }, error: (_o: object, m: string) => { logs.push(`error ${m}`); } };
const registrar: RegistrarPort = {
  save: async () => ({ status: 200, reason: 'OK', headers: [['Contact', '<sip:bob@192.0.2.9>;expires=60']] }),
  lookup: (aor) => (aor === 'bob@example.com' ? [{ uri: 'sip:bob@192.0.2.9', destination: undefined, q: undefined, expiresInSec: 60, path: undefined, instance: undefined }] : []),
  isRegistered: (aor) => aor === 'bob@example.com',
  userExists: async (aor) => aor === 'bob@example.com',
  aorOf: (s) => s.replace(/^sips?:/, ''),
};
const auth: AuthPort = {
  check: async (req) => (req.has('Authorization') ? { ok: true, username: 'bob', realm: 'example.com' } : { ok: false, code: 'SIP_AUTH_MISSING', reason: 'no credentials', action: 'challenge' }),
  challenge: (kind, realm) => ({ status: kind === 'www' ? 401 : 407, reason: 'Unauthorized', headers: [[kind === 'www' ? 'WWW-Authenticate' : 'Proxy-Authenticate', `Digest realm="${realm}"`]] }),
  defaultRealm: () => 'example.com',
};
const host = (routes: Parameters<typeof defineRoutes>[0]) => new ScriptHost(routes, { registrar, auth, cluster: undefined, logger });
const flush = () => new Promise((r) => setImmediate(r));

test('a synchronous handler replies; an async one relays to registered contacts', async () => {
  const pr = new FakeRequest(msg('OPTIONS'));
  host(defineRoutes({ request: (_req, ctx) => { ctx.reply(200); } })).handleRequest(pr);
  assert.deepEqual(pr.replies.map((r) => [r.status, r.reason]), [[200, 'OK']]);
  const inv = new FakeRequest(msg('INVITE'));
  host(defineRoutes({
    async request(req, ctx) {
      const contacts = ctx.location.lookup(req.uriText);
      await ctx.relay(contacts);
    },
  })).handleRequest(inv);
  await flush();
  assert.deepEqual(inv.relays, [[{ uri: 'sip:bob@192.0.2.9' }]]);
});

test('a throwing handler gets 500 and the error handler runs; the host keeps going', async () => {
  const seen: unknown[] = [];
  const h = host(defineRoutes({
    request: () => { throw new Error('boom'); },
    error: (e) => { seen.push(e); },
  }));
  const pr = new FakeRequest(msg('OPTIONS'));
  h.handleRequest(pr);
  await flush();
  assert.equal((seen[0] as Error).message, 'boom');
  assert.deepEqual(pr.replies.map((r) => r.status), [500]);
  const rejecting = new FakeRequest(msg('OPTIONS'));
  host(defineRoutes({ request: async () => { await Promise.resolve(); throw new Error('later'); } })).handleRequest(rejecting);
  await flush();
  assert.deepEqual(rejecting.replies.map((r) => r.status), [500]);
});

test('through the proxy: a handler that throws at once gets 500 also when an (async) error handler runs first', async () => {
  for (const error of [undefined, () => {}, async () => { await flush(); }]) {
    const h = harness();
    const sh = new ScriptHost(defineRoutes({ request: () => { throw new Error('boom'); }, ...(error === undefined ? {} : { error }) }), { registrar, auth, cluster: undefined, logger });
    h.proxy.onRequest = (pr) => sh.handleRequest(portOf(pr));
    h.recv(request({ method: 'INVITE' }));
    await flush(); await flush();
    const sent = h.take().map((x) => (x.msg.isRequest ? x.msg.method : x.msg.status));
    assert.deepEqual(sent, [100, 500], `error handler: ${String(error)}`);
  }
});

test('a handler that neither answers nor drops gets 500 with a warning; an explicit drop stays silent', async () => {
  const pr = new FakeRequest(msg('OPTIONS'));
  host(defineRoutes({ request: () => {} })).handleRequest(pr);
  assert.deepEqual(pr.replies.map((r) => r.status), [500]);
  assert.ok(logs.some((l) => l.includes('without replying')));
  const dropped = new FakeRequest(msg('OPTIONS'));
  host(defineRoutes({ request: (_r, ctx) => { ctx.drop(); } })).handleRequest(dropped);
  assert.equal(dropped.replies.length, 0);
});

test('authorize() challenges with 401 for REGISTER and 407 otherwise, then lets an authorized request on', async () => {
  const routes = defineRoutes({
    async request(_req, ctx) {
      if (!(await ctx.auth.authorize())) return;
      await ctx.registrar.save();
    },
  });
  const reg = new FakeRequest(msg('REGISTER'));
  host(routes).handleRequest(reg);
  await flush();
  assert.deepEqual(reg.replies.map((r) => [r.status, r.headers[0]?.[0]]), [[401, 'WWW-Authenticate']]);
  const inv = new FakeRequest(msg('INVITE'));
  host(routes).handleRequest(inv);
  await flush();
  assert.equal(inv.replies[0]?.status, 407);
  const ok = new FakeRequest(msg('REGISTER', 'Authorization: Digest username="bob"'));
  host(routes).handleRequest(ok);
  await flush();
  await flush();
  assert.deepEqual(ok.replies.map((r) => r.status), [200]);
});

test('authorize() lets ACK and CANCEL on unchallenged, as OpenSIPS www/proxy_authorize do: neither can be resubmitted with credentials', async () => {
  const routes = defineRoutes({
    async request(_req, ctx) {
      if (!(await ctx.auth.authorize())) return;
      ctx.forwardStateless();
    },
  });
  for (const method of ['CANCEL', 'ACK']) {
    const pr = new FakeRequest(msg(method));
    host(routes).handleRequest(pr);
    await flush();
    assert.deepEqual([pr.replies.map((r) => r.status), pr.handled], [[], true], `${method}: forwarded, not challenged`);
  }
});

test('the failure handler can serial-fork; the reply handler sees responses; vars are shared', async () => {
  const calls: string[] = [];
  const pr = new FakeRequest(msg('INVITE'));
  host(defineRoutes({
    request: (_req, ctx) => { ctx.vars.set('first', 'sip:bob@192.0.2.9'); void ctx.relay('sip:bob@192.0.2.9'); },
    reply: (res, ctx) => { calls.push(`reply ${res.status} ${String(ctx.vars.get('first'))} branch ${ctx.branch.index} ${ctx.branch.uri}`); },
    failure: async (_best, status, ctx) => { calls.push(`failure ${status}`); await ctx.relay('sip:voicemail@192.0.2.50'); },
  })).handleRequest(pr);
  pr.hooks.onReply?.(msg('INVITE'), { index: 0, uri: 'sip:bob@192.0.2.9', target: undefined }, { source: undefined, fixContact: () => false, fixSdp: () => false, addContactAlias: () => false });
  await pr.hooks.onFailure?.(undefined, 486);
  assert.deepEqual(pr.relays, [[{ uri: 'sip:bob@192.0.2.9' }], [{ uri: 'sip:voicemail@192.0.2.50' }]]);
  assert.deepEqual(calls, ['reply 0 sip:bob@192.0.2.9 branch 0 sip:bob@192.0.2.9', 'failure 486']);
});

test('relay({ onFailure, onReply }) arms handlers for that branch set (t_on_failure / t_on_reply); a later relay without them gets the routes\' own back', async () => {
  const calls: string[] = [];
  const pr = new FakeRequest(msg('INVITE'));
  const branch = { index: 0, uri: 'sip:bob@192.0.2.9', target: undefined };
  const replyPort = { source: undefined, fixContact: () => false, fixSdp: () => false, addContactAlias: () => false };
  host(defineRoutes({
    request: (_req, ctx) => {
      void ctx.relay('sip:bob@192.0.2.9', {
        onReply: (res) => { calls.push(`own reply ${res.status}`); },
        onFailure: async (_best, status, c) => { calls.push(`own failure ${status}`); await c.relay('sip:voicemail@192.0.2.50'); },
      });
    },
    reply: () => { calls.push('routes reply'); },
    failure: (_best, status) => { calls.push(`routes failure ${status}`); },
  })).handleRequest(pr);
  pr.hooks.onReply?.(msg('INVITE'), branch, replyPort);
  assert.deepEqual(calls, ['routes reply', 'own reply 0'], "the routes' reply handler first, then the relay's");
  await pr.hooks.onFailure?.(undefined, 486);
  assert.deepEqual(calls.slice(2), ['own failure 486'], "the relay's failure handler instead of the routes'");
  // The voicemail relay armed nothing of its own: the routes' handlers are back.
  calls.length = 0;
  pr.hooks.onReply?.(msg('INVITE'), branch, replyPort);
  await pr.hooks.onFailure?.(undefined, 480);
  assert.deepEqual(calls, ['routes reply', 'routes failure 480']);
  assert.deepEqual(pr.relays, [[{ uri: 'sip:bob@192.0.2.9' }], [{ uri: 'sip:voicemail@192.0.2.50' }]]);
});

test('a relay\'s onFailure that throws goes to the error handler and the request gets 500; without routes\' handlers a later relay arms a no-op', async () => {
  const errors: string[] = [];
  const pr = new FakeRequest(msg('INVITE'));
  host(defineRoutes({
    request: (_req, ctx) => { void ctx.relay('sip:bob@192.0.2.9', { onFailure: () => { throw new Error('own failure broke'); } }); },
    error: (e) => { errors.push((e as Error).message); },
  })).handleRequest(pr);
  pr.handled = false; // the fake relay marked it; the transaction is still open for the failure handler
  await pr.hooks.onFailure?.(undefined, 486);
  assert.deepEqual(errors, ['own failure broke']);
  assert.deepEqual(pr.replies.map((r) => r.status), [500]);

  const again = new FakeRequest(msg('INVITE'));
  let ownRuns = 0;
  host(defineRoutes({
    request: (_req, ctx) => { void ctx.relay('sip:bob@192.0.2.9', { onFailure: async (_b, _s, c) => { ownRuns++; await c.relay('sip:voicemail@192.0.2.50'); } }); },
  })).handleRequest(again);
  await again.hooks.onFailure?.(undefined, 486);
  assert.equal(ownRuns, 1);
  // The routes have no failure handler: the voicemail relay's failure hook must not be the relay's
  // own again (the proxy re-arms a running hook that finds none armed), so it is a no-op.
  assert.ok(again.hooks.onFailure !== undefined);
  await again.hooks.onFailure(undefined, 480);
  assert.equal(ownRuns, 1);
});

test('through the proxy: relay({ onFailure }) forks to voicemail on 486; the voicemail relay armed nothing, so its 480 goes up without running the handler again', async () => {
  const h = harness();
  let ownRuns = 0;
  const outcomes: unknown[] = [];
  const sh = new ScriptHost(defineRoutes({
    request: async (_req, ctx) => {
      outcomes.push(await ctx.relay('sip:bob@192.0.2.20', {
        onFailure: async (_best, status, c) => { ownRuns++; outcomes.push(`failure ${status}`); outcomes.push(await c.relay('sip:vm@192.0.2.99')); },
      }));
    },
  }), { registrar, auth, cluster: undefined, logger });
  h.proxy.onRequest = (pr) => sh.handleRequest(portOf(pr));
  h.recv(request({ method: 'INVITE' }));
  const bob = h.take().find((s) => s.msg.isRequest && s.msg.method === 'INVITE')!.msg;
  h.answer(bob, 486, 'Busy Here');
  await flush(); await flush();
  const vm = h.take().find((s) => s.msg.isRequest && s.msg.method === 'INVITE')!.msg;
  assert.equal(vm.uriText, 'sip:vm@192.0.2.99');
  h.answer(vm, 480, 'Temporarily Unavailable');
  await flush(); await flush();
  const finals = h.take().filter((s) => !s.msg.isRequest && s.msg.status >= 200).map((s) => s.msg.status);
  assert.equal(ownRuns, 1, "the relay's failure handler ran once, for its own branch set");
  assert.equal(finals.length, 1);
  assert.ok(finals[0] === 480 || finals[0] === 486, `one final upstream, got ${String(finals)}`);
  assert.deepEqual(outcomes.slice(0, 1), ['failure 486']);
});

test('the failure rounds stay bounded (MAX_FAILURE_ROUNDS) when the handler comes back through relay options: the routes\' failure relaying with onReply, or a relay re-arming its own onFailure', async () => {
  for (const variant of ['routes failure, relay with onReply', 'own onFailure re-armed'] as const) {
    const h = harness();
    let runs = 0;
    const own = (_best: unknown, _status: number, c: Parameters<NonNullable<Parameters<typeof defineRoutes>[0]['failure']>>[2]): void => {
      runs++;
      void c.relay('sip:bob@192.0.2.20', { onFailure: own });
    };
    const sh = new ScriptHost(defineRoutes(variant === 'own onFailure re-armed'
      ? { request: (_req, ctx) => { void ctx.relay('sip:bob@192.0.2.20', { onFailure: own }); } }
      : {
        request: (_req, ctx) => { void ctx.relay('sip:bob@192.0.2.20'); },
        failure: (_best, _status, ctx) => { runs++; void ctx.relay('sip:bob@192.0.2.20', { onReply: () => {} }); },
      }), { registrar, auth, cluster: undefined, logger });
    h.proxy.onRequest = (pr) => sh.handleRequest(portOf(pr));
    h.recv(request({ method: 'INVITE' }));
    let finals: number[] = [];
    for (let i = 0; i < 40 && finals.length === 0; i++) {
      const sent = h.take();
      finals = sent.filter((s) => !s.msg.isRequest && s.msg.status >= 200).map((s) => s.msg.status);
      const inv = sent.find((s) => s.msg.isRequest && s.msg.method === 'INVITE');
      if (inv !== undefined) h.answer(inv.msg, 486, 'Busy Here');
      await flush(); await flush();
    }
    assert.equal(runs, MAX_FAILURE_ROUNDS, `${variant}: the handler ran ${runs} times`);
    assert.deepEqual(finals, [486], `${variant}: the best response went up once the rounds were spent`);
  }
});

test('through the proxy: two relays with their own onReply — each branch set runs its own, after the routes\' reply (t_on_reply is recorded per branch, as Kamailio tm\'s uac on_reply)', async () => {
  const h = harness();
  const calls: string[] = [];
  const sh = new ScriptHost(defineRoutes({
    request: (_req, ctx) => {
      void ctx.relay('sip:bob@192.0.2.21', { onReply: (res) => { calls.push(`first ${res.status}`); } });
      void ctx.relay('sip:carol@192.0.2.22', { onReply: (res) => { calls.push(`second ${res.status}`); } });
    },
    reply: (res) => { calls.push(`routes ${res.status}`); },
  }), { registrar, auth, cluster: undefined, logger });
  h.proxy.onRequest = (pr) => sh.handleRequest(portOf(pr));
  h.recv(request({ method: 'INVITE' }));
  const bob = h.take().find((s) => s.msg.isRequest && s.msg.method === 'INVITE')!.msg;
  h.answer(bob, 180, 'Ringing');
  h.answer(bob, 486, 'Busy Here');
  const carol = h.take().find((s) => s.msg.isRequest && s.msg.method === 'INVITE')!.msg;
  assert.equal(carol.uriText, 'sip:carol@192.0.2.22');
  h.answer(carol, 180, 'Ringing');
  await flush();
  assert.deepEqual(calls, ['routes 180', 'first 180', 'routes 486', 'first 486', 'routes 180', 'second 180']);
});

test('through the proxy: a refused relay leaves the handlers as they were — no target, bad options, a socket not ours — so the branch set already out still runs its own failure handler', async () => {
  const refusals: Array<[string, (ctx: Parameters<Parameters<typeof defineRoutes>[0]['request']>[1], onFailure: () => void) => Promise<unknown>]> = [
    ['no target', (ctx, onFailure) => ctx.relay([], { onFailure })],
    ['bad options', async (ctx, onFailure) => { try { return await ctx.relay('sip:x@192.0.2.50', { timeoutMs: -1, onFailure }); } catch (e) { return (e as Error).name; } }],
    ['not our socket', async (ctx, onFailure) => { try { return await ctx.relay('sip:x@192.0.2.50', { socket: 'udp:198.51.100.1:5060', onFailure }); } catch (e) { return (e as Error).name; } }],
  ];
  for (const [what, refuse] of refusals) {
    for (const armed of ['relay onFailure', 'routes failure'] as const) {
      const h = harness();
      const calls: string[] = [];
      const results: unknown[] = [];
      const first = (_b: unknown, status: number): void => { calls.push(`first ${status}`); };
      const sh = new ScriptHost(defineRoutes({
        request: async (_req, ctx) => {
          void ctx.relay('sip:bob@192.0.2.20', armed === 'relay onFailure' ? { onFailure: first } : {});
          results.push(await refuse(ctx, () => { calls.push('refused relay\'s'); }));
        },
        ...(armed === 'routes failure' ? { failure: (_b: unknown, status: number) => { calls.push(`first ${status}`); } } : {}),
      }), { registrar, auth, cluster: undefined, logger });
      h.proxy.onRequest = (pr) => sh.handleRequest(portOf(pr));
      h.recv(request({ method: 'INVITE' }));
      await flush();
      const bob = h.take().find((s) => s.msg.isRequest && s.msg.method === 'INVITE')!.msg;
      h.answer(bob, 486, 'Busy Here');
      await flush();
      assert.notDeepEqual(results[0], undefined, `${what}: the refusal was seen`);
      if (typeof results[0] === 'object') assert.equal((results[0] as { result: string }).result, 'refused', what);
      assert.deepEqual(calls, ['first 486'], `${what}, ${armed}`);
      const finals = h.take().filter((s) => !s.msg.isRequest && s.msg.status >= 200).map((s) => s.msg.status);
      assert.deepEqual(finals, [486], `${what}, ${armed}`);
    }
  }
});

test('through the proxy: a relay whose branch fails inside the relay call (transport error) already runs the handlers it brought', async () => {
  const h = harness();
  h.failing.add('192.0.2.20:5060');
  const calls: string[] = [];
  const sh = new ScriptHost(defineRoutes({
    request: (_req, ctx) => {
      void ctx.relay('sip:bob@192.0.2.20', {
        onFailure: async (_best, status, c) => { calls.push(`own ${status}`); await c.relay('sip:vm@192.0.2.99'); },
      });
    },
    failure: (_best, status) => { calls.push(`routes ${status}`); },
  }), { registrar, auth, cluster: undefined, logger });
  h.proxy.onRequest = (pr) => sh.handleRequest(portOf(pr));
  h.recv(request({ method: 'INVITE' }));
  await flush();
  const vm = h.take().find((s) => s.msg.isRequest && s.msg.method === 'INVITE' && s.msg.uriText === 'sip:vm@192.0.2.99');
  assert.ok(vm !== undefined, 'the relay\'s own failure handler relayed to voicemail');
  assert.deepEqual(calls, ['own 503']);
});

test('through the proxy: a relay the proxy refuses after a 6xx (SIP_PROXY_AFTER_6XX) leaves the failure handler of the branch set that got it', async () => {
  const h = harness();
  const calls: string[] = [];
  let go: () => void = () => {};
  const later = new Promise<void>((r) => { go = r; });
  let refused: unknown;
  const sh = new ScriptHost(defineRoutes({
    request: async (_req, ctx) => {
      void ctx.relay(['sip:a@192.0.2.21', 'sip:b@192.0.2.22'], { parallel: true, onFailure: (_b, status) => { calls.push(`first ${status}`); } });
      await later;
      refused = await ctx.relay('sip:c@192.0.2.23', { onFailure: () => { calls.push('refused relay\'s'); } });
    },
  }), { registrar, auth, cluster: undefined, logger });
  h.proxy.onRequest = (pr) => sh.handleRequest(portOf(pr));
  h.recv(request({ method: 'INVITE' }));
  const sent = h.take();
  const to = (addr: string) => sent.find((s) => s.msg.isRequest && s.msg.method === 'INVITE' && s.target.address === addr)!.msg;
  h.answer(to('192.0.2.22'), 180, 'Ringing');
  h.answer(to('192.0.2.21'), 603, 'Decline');
  go();
  await flush();
  assert.equal((refused as { code?: string }).code, 'SIP_PROXY_AFTER_6XX');
  h.answer(to('192.0.2.22'), 487, 'Request Terminated');
  await flush();
  assert.deepEqual(calls, ['first 603']);
});

test('the routes\' reply and a relay\'s onReply run as separate routes: one that throws or rejects goes to the error handler and the other still runs', async () => {
  const replyPort = { source: undefined, fixContact: () => false, fixSdp: () => false, addContactAlias: () => false };
  const branch = { index: 0, uri: 'sip:bob@192.0.2.9', target: undefined };
  const boom = (what: string) => new Error(what);
  const cases: Array<{ name: string; reply: NonNullable<Parameters<typeof defineRoutes>[0]['reply']>; own: NonNullable<Parameters<typeof defineRoutes>[0]['reply']>; errors: string[] }> = [
    { name: 'routes reply throws', reply: () => { throw boom('main threw'); }, own: () => {}, errors: ['main threw'] },
    { name: 'routes reply rejects', reply: async () => { await flush(); throw boom('main rejected'); }, own: () => {}, errors: ['main rejected'] },
    { name: 'both throw', reply: () => { throw boom('main threw'); }, own: () => { throw boom('own threw'); }, errors: ['main threw', 'own threw'] },
    { name: 'own rejects', reply: () => {}, own: async () => { await flush(); throw boom('own rejected'); }, errors: ['own rejected'] },
  ];
  for (const c of cases) {
    const ran: string[] = [];
    const errors: string[] = [];
    logs.length = 0;
    const pr = new FakeRequest(msg('INVITE'));
    host(defineRoutes({
      request: (_req, ctx) => { void ctx.relay('sip:bob@192.0.2.9', { onReply: (res, rctx) => { ran.push('own'); return c.own(res, rctx); } }); },
      reply: (res, rctx) => { ran.push('main'); return c.reply(res, rctx); },
      error: (e) => { errors.push((e as Error).message); },
    })).handleRequest(pr);
    pr.hooks.onReply?.(msg('INVITE'), branch, replyPort);
    await flush(); await flush(); await flush();
    assert.deepEqual(ran, ['main', 'own'], `${c.name}: both ran, the routes' first`);
    assert.deepEqual(errors, c.errors, `${c.name}: each error reached the error handler`);
    assert.equal(logs.filter((l) => l.startsWith('error routing script')).length, c.errors.length, `${c.name}: each error logged`);
  }
});

test('through the proxy: when the routes\' reply throws, the relay\'s onReply still runs and its NAT fix still reaches the forwarded response', async () => {
  const h = harness();
  const errors: string[] = [];
  const sh = new ScriptHost(defineRoutes({
    request: (_req, ctx) => { void ctx.relay('sip:bob@192.0.2.20', { onReply: (_res, rctx) => { rctx.nat.fixContact(); } }); },
    reply: () => { throw new Error('main threw'); },
    error: (e) => { errors.push((e as Error).message); },
  }), { registrar, auth, cluster: undefined, logger });
  h.proxy.onRequest = (pr) => sh.handleRequest(portOf(pr));
  h.recv(request({ method: 'INVITE' }));
  const bob = h.take().find((s) => s.msg.isRequest && s.msg.method === 'INVITE')!.msg;
  h.answer(bob, 180, 'Ringing', { headers: [['Contact', '<sip:bob@10.9.9.9:5062>']] });
  await flush();
  const up = h.take().filter((s) => !s.msg.isRequest && s.msg.status === 180);
  assert.equal(up.length, 1);
  assert.match(up[0]!.msg.get('Contact') ?? '', /192\.0\.2\.20:5060/);
  assert.deepEqual(errors, ['main threw']);
});
