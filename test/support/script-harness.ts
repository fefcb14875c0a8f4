/**
 * The proxy harness (proxy-harness.ts) with a routes module behind it: every request goes through
 * a ScriptHost, as the node wires it (src/app/sip-service.ts). For script tests that need neither
 * the registrar nor auth (a test that does passes its own ports to ScriptHost instead).
 */
import { harness } from './proxy-harness.ts';
import type { Routes } from '../../src/script/api.ts';
import type { AuthPort, RegistrarPort } from '../../src/script/ports.ts';
import { portOf } from '../../src/script/proxy-binding.ts';
import { ScriptHost } from '../../src/script/script-host.ts';

export const quietLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export function scriptHarness(routes: Routes) {
  const h = harness();
  const host = new ScriptHost(routes, { registrar: {} as RegistrarPort, auth: {} as AuthPort, cluster: undefined, logger: quietLogger });
  h.proxy.onRequest = (pr) => host.handleRequest(portOf(pr));
  return h;
}
