import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/fake-time.ts';
import type { CallRecord } from './call-record.ts';
import { CallTracker, type TrackerParams } from './call-tracker.ts';
import { counting } from '../../../test/support/counting.ts';

const PARAMS: TrackerParams = { maxCallMs: 3_600_000, setupTimeoutMs: 200_000, maxCalls: 3 };
const INVITE = { callid: 'call-1@host', fromTag: 'caller-tag', caller: 'alice@example.com', callee: 'bob@example.org' };

function make(params: TrackerParams = PARAMS) {
  const clock = new FakeClock(0, 1_700_000_000_000);
  const c = counting();
  const records: CallRecord[] = [];
  const tracker = new CallTracker(params, { clock, counters: c.factory, nodeId: 3, onRecord: (r) => records.push(r) });
  return { clock, tracker, records, counters: c.values };
}

describe('CallTracker', () => {
  test('INVITE → 180 → 200 → BYE from the caller: start at the 2xx, setup and duration in ms', () => {
    const { clock, tracker, records, counters } = make();
    assert.deepEqual(tracker.start(INVITE), { ok: true, change: 'tracking' });
    clock.advance(1200);
    tracker.response(INVITE.callid, INVITE.fromTag, 'callee-tag', 180, 'Ringing');
    clock.advance(2300);
    tracker.response(INVITE.callid, INVITE.fromTag, 'callee-tag', 200, 'OK');
    const answeredWall = clock.wallMs();
    clock.advance(61_250);
    tracker.request('BYE', INVITE.callid, INVITE.fromTag, 'callee-tag');
    assert.deepEqual(records, [{
      callid: 'call-1@host', fromTag: 'caller-tag', toTag: 'callee-tag', caller: 'alice@example.com', callee: 'bob@example.org',
      startWallMs: answeredWall, durationMs: 61_250, setupMs: 3500, sipCode: 200, sipReason: 'OK', nodeId: 3, endedBy: 'caller',
    }]);
    assert.equal(tracker.size, 0);
    assert.equal(counters.get('cdr:completed'), 1);
    assert.equal(counters.get('cdr:active_calls'), 0);
  });

  test('a BYE from the callee (tags swapped) ends the call too; a BYE with a wrong tag does not', () => {
    const { clock, tracker, records } = make();
    tracker.start(INVITE);
    tracker.response(INVITE.callid, INVITE.fromTag, 'callee-tag', 200, 'OK');
    clock.advance(5000);
    tracker.request('BYE', INVITE.callid, 'callee-tag', 'someone-else');
    tracker.request('BYE', 'other-call', INVITE.fromTag, 'callee-tag');
    tracker.request('INFO', INVITE.callid, 'callee-tag', INVITE.fromTag);
    assert.equal(records.length, 0);
    tracker.request('BYE', INVITE.callid, 'callee-tag', INVITE.fromTag);
    assert.equal(records.length, 1);
    assert.equal(records[0]?.endedBy, 'callee');
    assert.equal(records[0]?.durationMs, 5000);
    // A retransmitted BYE finds nothing more to end.
    tracker.request('BYE', INVITE.callid, 'callee-tag', INVITE.fromTag);
    assert.equal(records.length, 1);
  });

  test('the first 2xx wins: a later 2xx from another fork or a retransmission changes nothing', () => {
    const { clock, tracker, records } = make();
    tracker.start(INVITE);
    tracker.response(INVITE.callid, INVITE.fromTag, 'fork-b', 486, 'Busy Here');
    clock.advance(100);
    tracker.response(INVITE.callid, INVITE.fromTag, 'fork-a', 200, 'OK');
    clock.advance(100);
    tracker.response(INVITE.callid, INVITE.fromTag, 'fork-c', 200, 'OK');
    tracker.request('BYE', INVITE.callid, INVITE.fromTag, 'fork-c');
    assert.equal(records.length, 0);
    tracker.request('BYE', INVITE.callid, INVITE.fromTag, 'fork-a');
    assert.equal(records[0]?.toTag, 'fork-a');
    assert.equal(records[0]?.setupMs, 100);
  });

  test('the dialog timeout ends an answered call without BYE, with the timeout as its duration', () => {
    const { clock, tracker, records, counters } = make({ ...PARAMS, maxCallMs: 10_000 });
    tracker.start(INVITE);
    tracker.response(INVITE.callid, INVITE.fromTag, 'callee-tag', 200, 'OK');
    clock.advance(9_999);
    tracker.sweep();
    assert.equal(records.length, 0);
    clock.advance(1);
    tracker.sweep();
    assert.equal(records[0]?.endedBy, 'timeout');
    assert.equal(records[0]?.durationMs, 10_000);
    assert.equal(counters.get('cdr:dialog_timeouts'), 1);
  });

  test('an INVITE never answered makes no CDR and is forgotten after setupTimeoutMs', () => {
    const { clock, tracker, records, counters } = make();
    tracker.start(INVITE);
    tracker.response(INVITE.callid, INVITE.fromTag, 'x', 487, 'Request Terminated');
    clock.advance(199_999);
    tracker.sweep();
    assert.equal(tracker.size, 1);
    clock.advance(1);
    tracker.sweep();
    assert.equal(tracker.size, 0);
    assert.equal(records.length, 0);
    assert.equal(counters.get('cdr:unanswered'), 1);
  });

  test('bounded: maxCalls and acc column widths refuse accounting with a code; a repeated start is harmless', () => {
    const { tracker, counters } = make();
    assert.deepEqual(tracker.start(INVITE), { ok: true, change: 'tracking' });
    assert.deepEqual(tracker.start(INVITE), { ok: true, change: 'already' });
    tracker.start({ ...INVITE, callid: 'c2' });
    tracker.start({ ...INVITE, callid: 'c3' });
    const full = tracker.start({ ...INVITE, callid: 'c4' });
    assert.equal(full.ok ? 'ok' : full.code, 'FEATURE_CDR_TOO_MANY_CALLS');
    const long = make().tracker.start({ ...INVITE, callid: 'x'.repeat(65) });
    assert.equal(long.ok ? 'ok' : long.code, 'FEATURE_CDR_FIELD_TOO_LONG');
    assert.equal(counters.get('cdr:account_refused'), 1);
    assert.equal(counters.get('cdr:accounted'), 3);
  });
});
