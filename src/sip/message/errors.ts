/**
 * Typed parse errors. Codes are stable and listed in docs/reference/errors.md (section "SIP message").
 * A parse failure is never thrown: the parser returns it in a Result, together with whatever essential
 * headers were readable, so the node can still answer 400 (RFC 3261 §8.2, §16.3) or 505 on its own.
 */
import type { Via } from './via.ts';
import type { NameAddr } from './name-addr.ts';
import type { CSeq } from './scalar-headers.ts';

export type SipParseErrorCode =
  | 'SIP_PARSE_TOO_LARGE'
  | 'SIP_PARSE_EMPTY'
  | 'SIP_PARSE_BAD_START_LINE'
  | 'SIP_PARSE_BAD_METHOD'
  | 'SIP_PARSE_BAD_REQUEST_URI'
  | 'SIP_PARSE_BAD_STATUS_CODE'
  | 'SIP_PARSE_LINE_TOO_LONG'
  | 'SIP_PARSE_TOO_MANY_HEADERS'
  | 'SIP_PARSE_BAD_HEADER'
  | 'SIP_PARSE_UNTERMINATED_HEADERS'
  | 'SIP_PARSE_MISSING_HEADER'
  | 'SIP_PARSE_DUPLICATE_HEADER'
  | 'SIP_PARSE_BAD_CONTENT_LENGTH'
  | 'SIP_PARSE_MULTIPLE_CONTENT_LENGTH'
  | 'SIP_PARSE_CONTENT_LENGTH_EXCEEDS_DATAGRAM'
  | 'SIP_PARSE_MISSING_CONTENT_LENGTH'
  | 'SIP_PARSE_STREAM_FRAMING'
  | 'SIP_PARSE_BAD_VIA'
  | 'SIP_PARSE_TOO_MANY_VIAS'
  | 'SIP_PARSE_BAD_CSEQ'
  | 'SIP_PARSE_BAD_MAX_FORWARDS'
  | 'SIP_PARSE_BAD_CALL_ID'
  | 'SIP_PARSE_BAD_NAME_ADDR'
  | 'SIP_PARSE_BAD_URI'
  | 'SIP_PARSE_BAD_NUMBER'
  | 'SIP_PARSE_TOO_MANY_VALUES';

/** What a failed parse could still read: enough to build a 400 when `topVia` is there. */
export interface PartialMessage {
  readonly kind: 'request' | 'response' | undefined;
  readonly method: string | undefined;
  readonly status: number | undefined;
  readonly topVia: Via | undefined;
  readonly callId: string | undefined;
  readonly cseq: CSeq | undefined;
  readonly from: NameAddr | undefined;
  readonly to: NameAddr | undefined;
}

export interface SipParseError {
  readonly code: SipParseErrorCode;
  /** For people and for the reason phrase of a 400 ("Bad Request (Missing Call-ID)"). */
  readonly message: string;
  /** Byte offset in the input where the problem was found, when known. */
  readonly offset: number | undefined;
  /** Set by parseMessage when the start line was readable; absent for errors of a single header value. */
  readonly partial: PartialMessage | undefined;
}

export function parseError(code: SipParseErrorCode, message: string, offset?: number): SipParseError {
  return { code, message, offset, partial: undefined };
}

export function withPartial(e: SipParseError, partial: PartialMessage): SipParseError {
  return { code: e.code, message: e.message, offset: e.offset, partial };
}
