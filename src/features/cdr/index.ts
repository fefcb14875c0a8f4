export { CALL_ENDS, MAX_DOMAIN_CHARS, MAX_KEY_CHARS, MAX_REASON_CHARS, MAX_USER_CHARS, recordFieldProblem, splitAor, type CallEnd, type CallRecord } from './call-record.ts';
export {
  CDR_PREFIX, MAX_CDR_TEXT_CHARS, decodeCdr, decodeReply, encodeCdr, encodeReply, isCdrReplyText, isCdrText,
  type CdrCodecCode, type CdrCodecError, type CdrReply,
} from './cdr-codec.ts';
export { CallTracker, type InviteInfo, type TrackResult, type TrackerDeps, type TrackerParams } from './call-tracker.ts';
export { MemorySpool, SpoolIndex, type CdrSpool, type SpoolAppend, type SpoolEntry, type SpoolStatus } from './cdr-spool.ts';
export { CdrDelivery, PERMANENT_CODES, answerOf, type DeliveryAnswer, type DeliveryDeps, type DeliveryLog, type DeliveryParams, type DeliveryState } from './cdr-delivery.ts';
export { CdrWriter, accRecordOf, type WriterLog } from './cdr-writer.ts';
