/**
 * Typed per-transaction variables (defineRoutes<V>): checked by `tsc --noEmit -p .` (the
 * `@ts-expect-error` lines fail the type check when a misuse stops being an error), and run here
 * through the script host and the proxy so the handlers' variables are seen to flow at run time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, isRes, only, request } from '../../test/support/proxy-harness.ts';
import { defineRoutes, type ReplyContext, type RequestContext, type Routes, type Vars } from './api.ts';
import type { AuthPort, RegistrarPort } from './ports.ts';
import { portOf } from './proxy-binding.ts';
import { ScriptHost } from './script-host.ts';

/** True when A and B are the same type (not merely assignable either way). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
/** `exactly<E>()(value, true)` compiles only when `value`'s type is exactly E. */
const exactly = <E>() => <A>(value: A, ok: Same<A, E>): A => (ok ? value : value);

interface CallVars { caller: string; attempts: number }

const trace: string[] = [];

const typed = defineRoutes<CallVars>({
  request(req, ctx) {
    exactly<string | undefined>()(ctx.vars.get('caller'), true);
    ctx.vars.set('caller', req.from.tag ?? '-');
    ctx.vars.set('attempts', 1);
    void ctx.relay('sip:bob@192.0.2.20', {
      onReply(res, rctx) {
        const n = exactly<number | undefined>()(rctx.vars.get('attempts'), true);
        trace.push(`onReply ${res.status} ${String(n)}`);
      },
      onFailure(_best, status, fctx) {
        const caller = exactly<string | undefined>()(fctx.vars.get('caller'), true);
        fctx.vars.set('attempts', (fctx.vars.get('attempts') ?? 0) + 1);
        trace.push(`onFailure ${status} ${caller ?? '-'} ${String(fctx.vars.get('attempts'))}`);
        fctx.reply(480, 'Temporarily Unavailable');
      },
    });
  },
  reply(res, ctx) {
    const caller = exactly<string | undefined>()(ctx.vars.get('caller'), true);
    trace.push(`reply ${res.status} ${caller ?? '-'}`);
  },
  failure(_best, _status, ctx) {
    exactly<number | undefined>()(ctx.vars.get('attempts'), true);
  },
  error(_err, ctx) {
    exactly<string | undefined>()(ctx?.vars.get('caller'), true);
  },
});

/** The misuses tsc must refuse; type-checked only, never run (they would change the Map). */
export function misuses(ctx: RequestContext<CallVars>, rctx: ReplyContext<CallVars>): void {
  // @ts-expect-error attempts holds a number
  ctx.vars.set('attempts', 'x');
  // @ts-expect-error an undeclared variable
  ctx.vars.set('callee', 'sip:bob@example.com');
  // @ts-expect-error an undeclared variable
  ctx.vars.get('callee');
  // @ts-expect-error an undeclared variable
  ctx.vars.has('callee');
  // @ts-expect-error caller holds a string
  rctx.vars.set('caller', 7);
  // @ts-expect-error caller holds a string, not a number
  const wrong: number | undefined = rctx.vars.get('caller');
  void wrong;
  void ctx.relay(undefined, {
    onReply(_res, c) {
      // @ts-expect-error the relay's handlers see the same declared variables
      c.vars.set('attempts', 'x');
    },
    onFailure(_best, _status, c) {
      // @ts-expect-error the relay's handlers see the same declared variables
      c.vars.get('callee');
    },
  });
}

// Without the type argument: today's Map<string, unknown>, any name, any value.
export const untyped = defineRoutes({
  request(_req, ctx) {
    exactly<Map<string, unknown>>()(ctx.vars, true);
    ctx.vars.set('anything', 1);
    ctx.vars.set('anything', 'else');
    exactly<unknown>()(ctx.vars.get('other'), true);
    void ctx.relay(undefined, { onReply(_res, rctx) { exactly<Map<string, unknown>>()(rctx.vars, true); } });
  },
  reply(_res, ctx) { exactly<Map<string, unknown>>()(ctx.vars, true); },
});

// The contexts' defaults are unchanged for code that names them.
const defaults: [Same<RequestContext['vars'], Map<string, unknown>>, Same<ReplyContext['vars'], Map<string, unknown>>, Same<Vars, Map<string, unknown>>] = [true, true, true];
// A typed module is a Routes, no cast (the node loads any module as one; ScriptHost takes one); so
// is a typed context a RequestContext / ReplyContext, for helpers that take one. Another declared
// shape is not: the misuse is still refused.
const asRoutes: Routes = typed;
const sameRoutes: Routes<CallVars> = typed;
// @ts-expect-error another declared shape
const otherRoutes: Routes<{ callee: string }> = typed;
const untypedHelper = (ctx: RequestContext, rctx: ReplyContext): unknown => [ctx.vars.get('caller'), rctx.vars.get('caller')];
export function helpers(ctx: RequestContext<CallVars>, rctx: ReplyContext<CallVars>): unknown {
  // @ts-expect-error another declared shape
  const other: RequestContext<{ callee: string }> = ctx;
  return [untypedHelper(ctx, rctx), other];
}
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const hostOf = (routes: Routes) => new ScriptHost(routes, { registrar: {} as RegistrarPort, auth: {} as AuthPort, cluster: undefined, logger: quiet });

test('defineRoutes is the identity with or without a type argument; the default contexts keep Map<string, unknown>', () => {
  assert.deepEqual(defaults, [true, true, true]);
  const routes = { request() {} };
  assert.equal(defineRoutes(routes), routes);
  assert.equal(defineRoutes<CallVars>(routes), routes);
  assert.equal(typeof untyped.request, 'function');
  assert.deepEqual([asRoutes, sameRoutes, otherRoutes], [typed, typed, typed]);
});

test('typed vars are the transaction\'s plain Map at run time: set in request, read in reply, onReply and onFailure', () => {
  trace.length = 0;
  const h = harness();
  const host = hostOf(typed);
  h.proxy.onRequest = (pr) => host.handleRequest(portOf(pr));
  h.recv(request());
  const forwarded = only(h.take(), (m) => m.isRequest && m.method === 'INVITE').msg;
  h.answer(forwarded, 180, 'Ringing');
  h.answer(forwarded, 486, 'Busy Here');
  assert.ok(only(h.take(), isRes(480)));
  assert.deepEqual(trace, [
    'reply 180 a1', 'onReply 180 1',
    'reply 486 a1', 'onReply 486 1',
    'onFailure 486 a1 2',
  ]);
});
