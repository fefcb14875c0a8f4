/** Public API of the SIP message layer (src/sip/message). Other folders import only from here. */
export { parseMessage, trailingBytes, type ParseOptions } from './parser.ts';
export { SipMessage, type ContactList, type SipKind } from './sip-message.ts';
export { serialize, formatMessage, isSingleLine, type MessageInit } from './serializer.ts';
export { MessageEditor } from './message-editor.ts';
export { buildResponse, buildResponseBytes, DERIVED_TAG_LENGTH, deriveToTag, prepareHeaders, type PreparedHeaders, type ResponseOptions } from './response-builder.ts';
export { buildRequest, type RequestInit } from './request-builder.ts';
export { parseUri, formatUri, uriEquals, pctDecode, pctOctets, type Uri, type SipUri, type TelUri, type OtherUri } from './uri.ts';
export { sipUriPort } from './uri-port.ts';
export { isIpv4Literal, ipv4Octets, isIpv6Literal, sameAddress, unbracketed } from './ip-literals.ts';
export { parseNameAddr, formatNameAddr, type NameAddr } from './name-addr.ts';
export { parseVia, formatVia, isRfc3261Branch, BRANCH_MAGIC_COOKIE, type Via, type ViaInit } from './via.ts';
export { parseCSeq, parseMaxForwards, parseExpires, parseCallId, type CSeq } from './scalar-headers.ts';
export { paramGet, paramValue, hasParam, unquote, type Param, type Params } from './params.ts';
export { canonicalName, headerIdOf, H, type HeaderId } from './header-names.ts';
export { ownString } from './header-values.ts';
export { checkRequestSemantics, type SemanticProblem } from './semantics.ts';
export type { SipParseError, SipParseErrorCode, PartialMessage } from './errors.ts';
export * as limits from './limits.ts';
