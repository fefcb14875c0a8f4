import { formatNameAddr, type PartialMessage, type Params } from '../message/index.ts';

/** Longest reason phrase we echo back from a parse error (the message text is ours, but bounded). */
const MAX_REASON_CHARS = 120;

/**
 * The bytes of a response to a request that did not parse (RFC 3261 §8.2: "400 Bad Request" with
 * the problem in the reason phrase, §21.4.1) built from the headers the parser could still read.
 * Only the top Via was readable, so only it is echoed; the response still reaches the sender,
 * which is what §18.2.2 needs. Undefined when too little was readable to address it.
 */
export function buildResponseFromPartial(p: PartialMessage, status: number, reason: string, server: string): Buffer | undefined {
  const via = p.topVia;
  if (via === undefined) return undefined;
  const lines: string[] = [`SIP/2.0 ${status} ${safeReason(reason)}`];
  lines.push(`Via: ${via.protocol}/${via.version}/${via.transport} ${via.host}${via.port === undefined ? '' : `:${via.port}`}${params(via.params)}`);
  if (p.from !== undefined) lines.push(`From: ${formatNameAddr(p.from)}`);
  if (p.to !== undefined) lines.push(`To: ${formatNameAddr(p.to)}${p.to.tag === undefined ? `;tag=${tagFor(p)}` : ''}`);
  if (p.callId !== undefined) lines.push(`Call-ID: ${p.callId}`);
  if (p.cseq !== undefined) lines.push(`CSeq: ${p.cseq.seq} ${p.cseq.method}`);
  lines.push(`Server: ${server}`, 'Content-Length: 0', '', '');
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

function params(ps: Params): string {
  let out = '';
  for (const p of ps) out += p.value === undefined ? `;${p.name}` : `;${p.name}=${p.value}`;
  return out;
}

/** Reason phrases are TEXT-UTF8 without CR/LF (§25.1); anything else is replaced. */
function safeReason(r: string): string {
  let out = '';
  for (const ch of r.slice(0, MAX_REASON_CHARS)) out += ch === '\r' || ch === '\n' || ch < ' ' ? ' ' : ch;
  return out;
}

/** A stable To tag, so a retransmitted bad request gets the same answer. */
function tagFor(p: PartialMessage): string {
  const s = `${p.callId ?? ''}|${p.from?.tag ?? ''}|${p.topVia?.branch ?? ''}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return `sc${h.toString(16)}`;
}
