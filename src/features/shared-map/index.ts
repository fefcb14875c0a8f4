export { MAX_ENTRIES, MAX_KEY_CHARS, MAX_MAP_NAME_CHARS, MAX_MESSAGE_CHARS, MAX_TTL_MS, MAX_VALUE_CHARS, MIN_TTL_MS } from './limits.ts';
export { decodeMapMessage, encodeDump, encodeMapMessage, isKey, isMapName, isValue, MAP_PREFIX, type MapMessage, type WireEntry } from './map-messages.ts';
export { claimWins, MapTable, type MapEntry, type PutOutcome } from './map-table.ts';
export { SharedMap, type ClaimOptions, type EntryView, type MapClusterPort, type MapEvent, type SharedMapConfig, type SharedMapDeps } from './shared-map.ts';
export { SharedMaps } from './shared-maps.ts';
