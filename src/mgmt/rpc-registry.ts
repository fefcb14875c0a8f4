import { SipclusterError } from '../lib/errors.ts';

/** JSON-RPC 2.0 error codes (§5.1) plus the application codes OpenSIPS's MI uses (HTTP-like). */
export const RPC_PARSE_ERROR = -32700;
export const RPC_INVALID_REQUEST = -32600;
export const RPC_METHOD_NOT_FOUND = -32601;
export const RPC_INVALID_PARAMS = -32602;
export const RPC_INTERNAL_ERROR = -32603;

export type RpcParams = Record<string, unknown>;

export interface RpcMethod {
  /** OpenSIPS 4.x name, `module:command`. */
  readonly name: string;
  /** Older names OpenSIPS still accepts (3.x `clusterer_list`, `ul_dump`, …). */
  readonly aliases?: readonly string[];
  readonly help?: string;
  /** Parameter names in order, so positional (array) params map onto them as OpenSIPS does. */
  readonly params?: readonly string[];
  /** May return a promise (a cluster round trip, a database). */
  handler(params: RpcParams): unknown;
}

/**
 * An error a method returns to the caller: `rpcCode` is the JSON-RPC/MI number (OpenSIPS uses
 * HTTP-like codes such as 400 and 404 for application errors), `code` our stable string code.
 */
export class RpcError extends SipclusterError {
  readonly rpcCode: number;

  constructor(rpcCode: number, code: string, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
    this.rpcCode = rpcCode;
  }
}

export class RpcRegistry {
  private readonly methods = new Map<string, RpcMethod>();
  private readonly primary: string[] = [];

  register(method: RpcMethod): void {
    for (const name of [method.name, ...(method.aliases ?? [])]) {
      if (this.methods.has(name)) throw new Error(`MI method ${name} registered twice`);
      this.methods.set(name, method);
    }
    this.primary.push(method.name);
  }

  lookup(name: string): RpcMethod | undefined {
    return this.methods.get(name);
  }

  /** Primary (4.x) names in registration order, as `core:which` lists them. */
  names(): string[] {
    return [...this.primary];
  }
}

/** Reads a parameter given by name (object params) or by position (array params). */
export function param(params: RpcParams, name: string): unknown {
  return params[name];
}

/**
 * A string parameter. A number is taken as its decimal text, as OpenSIPS's get_mi_string_param
 * does: `sipcluster mi map:remove conference 100` sends 100 as a number.
 */
export function requireString(params: RpcParams, name: string): string {
  const v = params[name];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (v === undefined) throw new RpcError(RPC_INVALID_PARAMS, 'RPC_INVALID_PARAMS', `missing parameter '${name}'`);
  throw new RpcError(RPC_INVALID_PARAMS, 'RPC_INVALID_PARAMS', `parameter '${name}' must be a string`);
}

export function requireInt(params: RpcParams, name: string): number {
  const v = params[name];
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    throw new RpcError(RPC_INVALID_PARAMS, 'RPC_INVALID_PARAMS', `parameter '${name}' must be an integer`);
  }
  return n;
}

export function optionalInt(params: RpcParams, name: string): number | undefined {
  return params[name] === undefined ? undefined : requireInt(params, name);
}
