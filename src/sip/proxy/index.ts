export * from './sip-source.ts';
export * from './via-routing.ts';
export * from './sip-core.ts';
export { buildResponseFromPartial } from './partial-response.ts';
export * from './proxy-types.ts';
export { SipProxy, type SipProxyOptions, type RequestHandler } from './sip-proxy.ts';
export { ProxyRequest, type RequestDisposition } from './proxy-request.ts';
export { RelayResult } from './relay-result.ts';
export { OwnAddresses, sentByOf } from './own-addresses.ts';
export {
  DEFAULT_NAT_CHECKS, fixedContactValue, fixedSdp, isPrivateAddress, natChecksOf, natTest, type NatCheck, type PacketSource, type SdpFixOptions,
} from './nat.ts';
export {
  aliasedContactValue, formatAlias, parseAlias, ruriAliasRoute, type AliasRoute, type AliasSource, type AliasTransport, type ContactAlias,
} from './contact-alias.ts';
export { ResponseEdits } from './forward-builder.ts';
export {
  locateServer, orderSrv, type DnsPort, type LocTransport, type LocateQuery, type LocatedTarget, type NaptrRecord, type SrvRecord,
} from './server-location.ts';
