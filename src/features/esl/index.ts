export { CORE_HEADERS, DEFAULT_HEADERS, ESL_PREFIX, encodeEslBroadcast, parseEslBroadcast, type EncodeResult, type EslBroadcast } from './esl-broadcast.ts';
export { EslClient, type EslClientConfig, type EslClientDeps, type EslClientErrorCode, type EslClientIo, type EslClientStatus, type EslLastError, type EslLogLevel, type EslState } from './esl-client.ts';
export { decodeJsonEvent, decodePlainEvent, urlDecode, type EslEvent, type EslEventResult } from './esl-event.ts';
export { EslFrameParser, frameHeader, type EslFrame, type EslFrameError, type EslFrameErrorCode, type EslParserOutput, type EslSkippedFrame } from './esl-frame-parser.ts';
export { DEFAULT_MAX_EVENT_BYTES, MAX_BROADCAST_BYTES, MAX_DECLARED_CONTENT_LENGTH, MAX_FRAME_HEADERS, MAX_FRAME_HEADER_BYTES } from './esl-limits.ts';
export { eventCommand, eventEntryProblem, isChosen, subscriptionOf, type EslSubscription } from './esl-subscription.ts';
