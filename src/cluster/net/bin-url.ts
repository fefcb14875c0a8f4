import { isIP } from 'node:net';

/** A BIN listener address as OpenSIPS writes it: `bin:127.0.0.1:5571`, `bins:[::1]:5571` (TLS). */
export interface BinUrl {
  readonly tls: boolean;
  readonly host: string;
  readonly port: number;
}

export function parseBinUrl(text: string): BinUrl | undefined {
  const m = /^(bins?):(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(text.trim());
  if (m === null) return undefined;
  const host = (m[2] as string).startsWith('[') ? (m[2] as string).slice(1, -1) : (m[2] as string);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  if ((m[2] as string).startsWith('[') && isIP(host) !== 6) return undefined;
  return { tls: m[1] === 'bins', host, port };
}

export function formatBinUrl(u: BinUrl): string {
  return `${u.tls ? 'bins' : 'bin'}:${isIP(u.host) === 6 ? `[${u.host}]` : u.host}:${u.port}`;
}
