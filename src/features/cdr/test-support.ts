/** Test helpers of the CDR feature (imported by its *.test.ts only). */
import type { CallRecord } from './call-record.ts';

export function callRecord(over: Partial<CallRecord> = {}): CallRecord {
  return {
    callid: 'a84b4c76e66710@pc33.example.com', fromTag: '1928301774', toTag: 'a6c85cf', caller: 'alice@example.com', callee: 'bob@example.org',
    startWallMs: 1_700_000_000_000, durationMs: 61_250, setupMs: 3_400, sipCode: 200, sipReason: 'OK', nodeId: 2, endedBy: 'caller',
    ...over,
  };
}

export interface LogLine { level: string; msg: string; fields: Record<string, unknown> | undefined }

export function recordingLog(): { lines: LogLine[]; info: (m: string, f?: Record<string, unknown>) => void; warn: (m: string, f?: Record<string, unknown>) => void; error: (m: string, f?: Record<string, unknown>) => void } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (msg, fields) => { lines.push({ level: 'info', msg, fields }); },
    warn: (msg, fields) => { lines.push({ level: 'warn', msg, fields }); },
    error: (msg, fields) => { lines.push({ level: 'error', msg, fields }); },
  };
}
