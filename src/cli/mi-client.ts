/** A small JSON-RPC 2.0 client for the node's management interface. */
export interface MiReply {
  result?: unknown;
  error?: { code: number; message: string; data?: { code?: string } };
}

export async function callMi(url: string, method: string, params: unknown[] | Record<string, unknown>, timeoutMs = 10_000): Promise<MiReply> {
  const body = JSON.stringify({ jsonrpc: '2.0', method, params, id: Math.floor(Math.random() * 1e6) });
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`MI at ${url} answered HTTP ${res.status}`);
  return (await res.json()) as MiReply;
}

/** Methods whose one parameter is an array of names: opensips-cli packs the words into it (MI_ARRAY_PARAMS_COMMANDS). */
const ARRAY_PARAM_METHODS = new Set([
  'statistics:get', 'get_statistics', 'statistics:list', 'list_statistics', 'statistics:reset', 'reset_statistics',
]);

/**
 * Command-line words to MI params: `key=value` words make named params, others are positional
 * (mixing is refused). Values that read as JSON numbers, booleans, arrays or objects are parsed
 * (the node takes a number where a string is asked for, so a room named 100 still works). For
 * the statistics methods, plain words are the names of one array: `statistics:get usrloc: core:`.
 */
export function wordsToParams(words: readonly string[], method = ''): unknown[] | Record<string, unknown> {
  if (ARRAY_PARAM_METHODS.has(method) && words.length > 0 && words.every((w) => !w.includes('=') && !w.startsWith('['))) {
    return [[...words]];
  }
  const named = words.filter((w) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
  if (named.length > 0 && named.length !== words.length) {
    throw new Error('give MI params either all as key=value or all positional');
  }
  if (named.length > 0) {
    const out: Record<string, unknown> = {};
    for (const w of named) {
      const i = w.indexOf('=');
      out[w.slice(0, i)] = parseValue(w.slice(i + 1));
    }
    return out;
  }
  return words.map(parseValue);
}

function parseValue(v: string): unknown {
  if (/^-?\d+$/.test(v) || v === 'true' || v === 'false' || v.startsWith('[') || v.startsWith('{')) {
    try { return JSON.parse(v); } catch { return v; }
  }
  return v;
}
