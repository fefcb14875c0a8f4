/** The registrar's public surface: what src/app, src/store (types) and src/features import. */
export { Binding, fieldsOf, formatQ, makeBinding, parseQ } from './binding.ts';
export type { BindingFields, ContactState } from './binding.ts';
export { matchesBinding, simpleUriEquals } from './contact-match.ts';
export type { ContactKey, UriEquality } from './contact-match.ts';
export type { BindingScan, ChangeOrigin, InsertOptions, LocationEvent, LocationListener, LocationStore } from './location-store.ts';
export { MemoryLocationStore } from './memory-location-store.ts';
export type { MemoryLocationStoreOptions } from './memory-location-store.ts';
export type {
  CredentialStore, Credentials, LocationPersistence, PersistedBinding, PersistenceChange, PersistenceMode,
} from './ports.ts';
export { DigestAuthenticator, formatChallenge } from './digest-auth.ts';
export type {
  AuthFailure, AuthFailureAction, AuthRequest, AuthSuccess, Challenge, ChallengeKind, ChallengeParams, DigestAuthOptions,
} from './digest-auth.ts';
export { parseAuthParams, parseDigestCredentials } from './digest-credentials.ts';
export type { CredentialsError, DigestCredentials } from './digest-credentials.ts';
export { algorithmInfo, computeDigestResponse, computeHa1 } from './digest-response.ts';
export type { DigestAlgorithm, DigestHash, DigestInput } from './digest-response.ts';
export { NonceService } from './nonce.ts';
export type { NonceCheck, NonceOptions } from './nonce.ts';
export * from './limits.ts';
export { RegisterHandler } from './register-handler.ts';
export type { PathMode, ReceiveInfo, RegisterReply, RegistrarConfig } from './register-handler.ts';
export { bindingContactValue, registerAor } from './register-contact.ts';
export { messageUriEquals } from './contact-match.ts';
export { ulAdd, ulDump, ulRm, ulRmContact, ulShowContact } from './usrloc-mi.ts';
export type { MiError, UlAddParams, UlAor, UlContact, UlDump } from './usrloc-mi.ts';
export { NatPinger } from './nat-pinger.ts';
export type { ConnectionSendResult, NatPingConfig, NatPingMethod, NatPingOutput, NatPingerOptions, PingSocket } from './nat-pinger.ts';
export { CRLF_KEEPALIVE, NAT_PING_BRANCH_PREFIX, buildOptionsPing, pingAddressOf, tcpPeerOf } from './nat-ping-request.ts';
export type { OptionsPingInit, PingAddress } from './nat-ping-request.ts';
