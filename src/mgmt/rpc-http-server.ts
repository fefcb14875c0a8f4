import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  RPC_INTERNAL_ERROR, RPC_INVALID_PARAMS, RPC_INVALID_REQUEST, RPC_METHOD_NOT_FOUND, RPC_PARSE_ERROR,
  RpcError, type RpcParams, type RpcRegistry,
} from './rpc-registry.ts';

/** Largest request body the MI accepts; management calls are small. */
export const MAX_RPC_BODY_BYTES = 1 << 20;
/** Most calls one JSON-RPC batch may carry (JSON-RPC 2.0 §6 sets none; the answer must stay small too). */
export const MAX_RPC_BATCH = 100;

export interface RpcServerOptions {
  host: string;
  port: number;
  registry: RpcRegistry;
  onError?: (err: unknown, method: string) => void;
}

type JsonRpcId = string | number | null;

interface JsonRpcResponse {
  jsonrpc: '2.0';
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
  id: JsonRpcId;
}

/**
 * JSON-RPC 2.0 over HTTP: `POST /mi` (OpenSIPS mi_http answers on `/mi` too). Errors carry the
 * JSON-RPC code and, in `data.code`, our stable string code.
 */
export class RpcHttpServer {
  private server: Server | undefined;
  private readonly opts: RpcServerOptions;

  constructor(opts: RpcServerOptions) {
    this.opts = opts;
  }

  async listen(): Promise<AddressInfo> {
    // A client that goes away mid-body makes the body's iterator reject (ECONNRESET): nothing to
    // answer, and not a bug to count as an unhandled rejection (nor, before the process-wide
    // handler is installed, a reason to exit).
    const server = createServer((req, res) => { this.onRequest(req, res).catch(() => { if (!res.headersSent) res.destroy(); }); });
    server.keepAliveTimeout = 5000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => { server.off('error', reject); resolve(); });
    });
    return server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (s === undefined) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeIdleConnections();
    });
  }

  /** Runs one JSON-RPC call object; exported for in-process callers and tests. */
  async call(body: unknown): Promise<JsonRpcResponse> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return errorResponse(null, RPC_INVALID_REQUEST, 'Invalid Request', 'RPC_INVALID_REQUEST');
    }
    const o = body as Record<string, unknown>;
    const id = (typeof o.id === 'string' || typeof o.id === 'number') ? o.id : null;
    if (o.jsonrpc !== '2.0' || typeof o.method !== 'string') {
      return errorResponse(id, RPC_INVALID_REQUEST, 'Invalid Request', 'RPC_INVALID_REQUEST');
    }
    const method = this.opts.registry.lookup(o.method);
    if (method === undefined) return errorResponse(id, RPC_METHOD_NOT_FOUND, 'Method not found', 'RPC_METHOD_NOT_FOUND');
    let params: RpcParams;
    if (o.params === undefined) params = {};
    else if (Array.isArray(o.params)) {
      const names = method.params ?? [];
      if (o.params.length > names.length) {
        return errorResponse(id, RPC_INVALID_PARAMS, 'Too many parameters', 'RPC_INVALID_PARAMS');
      }
      params = {};
      o.params.forEach((v, i) => { params[names[i] as string] = v; });
    } else if (typeof o.params === 'object' && o.params !== null) {
      params = o.params as RpcParams;
      // As OpenSIPS matches named params to a method's recipes: a name no recipe has is an error,
      // not silently ignored (`usrloc:dump brief=1` answered the full dump when brief was unknown).
      const unknown = method.params === undefined ? undefined : Object.keys(params).find((k) => !(method.params as readonly string[]).includes(k));
      if (unknown !== undefined) return errorResponse(id, RPC_INVALID_PARAMS, `Unknown parameter '${unknown}'`, 'RPC_INVALID_PARAMS');
    }
    else return errorResponse(id, RPC_INVALID_PARAMS, 'Invalid params', 'RPC_INVALID_PARAMS');
    try {
      const result = await method.handler(params);
      return { jsonrpc: '2.0', result, id };
    } catch (e) {
      if (e instanceof RpcError) return errorResponse(id, e.rpcCode, e.message, e.code);
      this.opts.onError?.(e, o.method);
      return errorResponse(id, RPC_INTERNAL_ERROR, 'Internal error', 'RPC_INTERNAL_ERROR');
    }
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/mi' && path !== '/json') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('POST a JSON-RPC 2.0 request\n');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_RPC_BODY_BYTES) { tooBig = true; break; }
      chunks.push(chunk as Buffer);
    }
    if (tooBig) {
      res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' }).end('request too large\n');
      req.destroy();
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      send(res, errorResponse(null, RPC_PARSE_ERROR, 'Parse error', 'RPC_PARSE_ERROR'));
      return;
    }
    if (Array.isArray(body)) {
      if (body.length === 0) { send(res, errorResponse(null, RPC_INVALID_REQUEST, 'Invalid Request', 'RPC_INVALID_REQUEST')); return; }
      // Each item gets a ~60-byte error at least: a 1 MB body of `0,` items answered ~59 MB.
      if (body.length > MAX_RPC_BATCH) { send(res, errorResponse(null, RPC_INVALID_REQUEST, `Invalid Request: more than ${MAX_RPC_BATCH} calls in a batch`, 'RPC_BATCH_TOO_LARGE')); return; }
      const out: JsonRpcResponse[] = [];
      for (const item of body) out.push(await this.call(item));
      send(res, out);
      return;
    }
    send(res, await this.call(body));
  }
}

function errorResponse(id: JsonRpcId, code: number, message: string, stableCode: string): JsonRpcResponse {
  return { jsonrpc: '2.0', error: { code, message, data: { code: stableCode } }, id };
}

function send(res: ServerResponse, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
