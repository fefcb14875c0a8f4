/**
 * Rules across sections that `sipcluster config check` must report like any other problem, each
 * with its path: they made `start` fail with a bare error (a store URL scheme, two listeners on
 * one port) or start a node that could not work (every REGISTER answered 423).
 */
import { parseStoreUrl } from '../../store/store-url.ts';
import { parseBinUrl } from '../../cluster/net/bin-url.ts';
import type { NodeConfig } from './schema.ts';

type Problem = (path: Array<string | number>, message: string) => void;

export function checkRegistrar(c: NodeConfig, problem: Problem): void {
  const r = c.registrar;
  // RFC 3261 §10.3 step 7: a REGISTER below the minimum gets 423; with min above max, every one did.
  if (r.minExpiresSec > r.maxExpiresSec) problem(['registrar', 'minExpiresSec'], `${r.minExpiresSec} is above maxExpiresSec (${r.maxExpiresSec}): every REGISTER would get 423`);
  if (r.defaultExpiresSec > r.maxExpiresSec) problem(['registrar', 'defaultExpiresSec'], `${r.defaultExpiresSec} is above maxExpiresSec (${r.maxExpiresSec})`);
  else if (r.defaultExpiresSec < r.minExpiresSec) problem(['registrar', 'defaultExpiresSec'], `${r.defaultExpiresSec} is below minExpiresSec (${r.minExpiresSec}): a REGISTER without Expires would get 423`);
}

/** dbMode 1 reads the nodes from the store's clusterer table: an in-memory store starts empty, so the node would know nobody. */
export function checkClusterStore(c: NodeConfig, problem: Problem): void {
  if (c.cluster?.dbMode === 1 && /^sqlite::memory:$/i.test(c.store.url.trim())) {
    problem(['cluster', 'dbMode'], 'dbMode 1 reads the nodes from the clusterer table, and store.url is an in-memory SQLite (empty at every start): give a store file or database, or use dbMode 0 with neighbors');
  }
}

export function checkStoreUrl(c: NodeConfig, problem: Problem): void {
  try {
    // The scheme and form only; the path of a sqlite: file is resolved against the config at start.
    parseStoreUrl(c.store.url, '/');
  } catch (e) {
    problem(['store', 'url'], (e as Error).message);
  }
}

/** Two sockets of this node on one port (TCP: the MI, the cluster's BIN listener, SIP over TCP; UDP: SIP). */
export function checkPorts(c: NodeConfig, problem: Problem): void {
  const seen = new Map<string, { host: string; what: string }[]>();
  const claim = (family: 'tcp' | 'udp', host: string, port: number, what: string, path: Array<string | number>): void => {
    if (port === 0) return; // any free port
    const key = `${family}:${port}`;
    const others = seen.get(key) ?? [];
    const clash = others.find((o) => o.host === host || isWildcard(o.host) || isWildcard(host));
    if (clash !== undefined) problem(path, `${family.toUpperCase()} port ${port} on ${host} is also ${clash.what}`);
    others.push({ host, what });
    seen.set(key, others);
  };
  if (c.mi.enabled) claim('tcp', c.mi.host, c.mi.port, 'the MI (mi.port)', ['mi', 'port']);
  if (c.cluster !== undefined) {
    const b = parseBinUrl(c.cluster.listen);
    if (b !== undefined) claim('tcp', b.host, b.port, 'the cluster listener (cluster.listen)', ['cluster', 'listen']);
  }
  c.sip.listen.forEach((l, i) => claim(l.proto === 'udp' ? 'udp' : 'tcp', l.host, l.port, `sip.listen[${i}]`, ['sip', 'listen', i]));
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}
