/**
 * The proxy harness (proxy-harness.ts) with a routes module behind it: every request goes through
 * a ScriptHost, as the node wires it (src/app/sip-service.ts). The registrar and auth ports are
 * empty unless the test gives its own (`ports`).
 */
import { harness } from './proxy-harness.ts';
import type { Routes } from '../../src/script/api.ts';
import type { AuthPort, RegistrarPort } from '../../src/script/ports.ts';
import { portOf } from '../../src/script/proxy-binding.ts';
import { ScriptHost } from '../../src/script/script-host.ts';

export const quietLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export function scriptHarness(routes: Routes, ports: { registrar?: RegistrarPort; auth?: AuthPort } = {}) {
  const h = harness();
  const host = new ScriptHost(routes, {
    registrar: ports.registrar ?? ({} as RegistrarPort), auth: ports.auth ?? ({} as AuthPort), cluster: undefined, logger: quietLogger,
  });
  h.proxy.onRequest = (pr) => host.handleRequest(portOf(pr));
  return h;
}
