export { BanList, type BanAction, type BanDetected, type BanListConfig, type BanListDeps, type BanOutcome } from './ban-list.ts';
export { BanTable, MAX_BANS, MAX_BAN_MS, MAX_USER_AGENT_CHARS, type Ban, type BanInput, type PutResult } from './ban-table.ts';
export { FailureDetector, MAX_TRACKED_SOURCES, type DetectorParams } from './failure-detector.ts';
