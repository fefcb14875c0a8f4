/**
 * The per-link heartbeat state machine as a table, so that a reader can audit it row by row
 * against OpenSIPS (modules/clusterer/topology.c heartbeats_timer, do_action_trans_0..5,
 * handle_ping, handle_pong, handle_unknown_id). The first row whose state, input and guard match
 * wins. Actions are applied in order by heartbeat-link.ts.
 *
 * OpenSIPS link states vs ours:
 *   LS_RESTART_PINGING → 'restart-pending'   LS_RESTARTED → 'probing'
 *   LS_UP              → 'up'                LS_RETRYING  → 'suspect' (see below)
 *   LS_DOWN            → 'down'              LS_RETRY_SEND_FAIL → folded into 'suspect'/'probing'
 *   node flag disabled → 'disabled'
 *
 * Deliberate differences (DESIGN.md §3 "liveness counts received traffic"):
 * - Any packet received from the neighbor on its direct link proves it alive, not only a PONG.
 * - OpenSIPS removes the link from the topology (floods LS_DOWN) at the *first* overdue PONG
 *   (trans 2 → LS_RETRYING). We keep the link Up in the topology while 'suspect' and only flood
 *   LS_DOWN at the Down verdict, so one slow reply does not reroute the whole cluster.
 * - A send failure does not end the link by itself; it only makes a reply overdue.
 */
export type LinkState = 'restart-pending' | 'probing' | 'up' | 'suspect' | 'down' | 'disabled';

/** The MI's `link_state` strings (clusterer:list): only Up and Down are named, the rest probe. */
export type MiLinkState = 'Up' | 'Down' | 'Probe';

export function miLinkState(s: LinkState): MiLinkState {
  // 'suspect' is still Up in our topology, but OpenSIPS shows its retrying state as Probe.
  if (s === 'up') return 'Up';
  if (s === 'down' || s === 'disabled') return 'Down';
  return 'Probe';
}

export type HeartbeatInput =
  | 'tick' // timer; guards read the clock
  | 'pong' // PONG received on the direct link
  | 'ping' // PING received on the direct link
  | 'traffic' // any other packet received on the direct link
  | 'send-failed' // the driver could not send to this neighbor
  | 'connection-closed' // our connection to the neighbor closed (FIN/RST)
  | 'unknown-id' // the neighbor answered UNKNOWN_ID: it forgot us (restart)
  | 'peer-reset' // topology says the neighbor's view of our link contradicts ours
  | 'enable'
  | 'disable';

export type Guard =
  | 'always'
  | 'ping-due' // no reply awaited and now - lastPing >= pingIntervalMs
  | 'overdue-retry-left' // a reply is overdue (pingTimeoutMs) and retries remain
  | 'overdue-no-retry' // a reply is overdue and no retry remains
  | 'node-timeout' // now - lastPing >= nodeTimeoutMs
  | 'ping-recent'; // our last PING went out less than pingTimeoutMs ago

export type HeartbeatAction =
  | 'heard' // lastHeard = now; no reply is awaited any more
  | 'noted' // lastHeard = now; a reply still is (probing waits for the PONG itself)
  | 'ping-with-list' // send PING(req_node_list=1); a reply is awaited
  | 'ping' // send PING(req_node_list=0); a reply is awaited
  | 'await-reply' // a reply is awaited without a new PING (send failure)
  | 'reset-retries' // retriesLeft = noPingRetries
  | 'use-retry' // retriesLeft -= 1
  | 'link-up' // emit: the link is Up (caller floods LS_UPDATE(UP), sends FULL_TOP/CAP_UPDATE)
  | 'link-down'; // emit: the link is Down (caller floods LS_UPDATE(DOWN))

export interface Row {
  readonly from: LinkState;
  readonly on: HeartbeatInput;
  readonly when: Guard;
  readonly to: LinkState;
  readonly actions: readonly HeartbeatAction[];
  readonly why: string;
}

const live: readonly LinkState[] = ['restart-pending', 'probing', 'up', 'suspect', 'down'];

function row(from: LinkState, on: HeartbeatInput, when: Guard, to: LinkState, actions: readonly HeartbeatAction[], why: string): Row {
  return { from, on, when, to, actions, why };
}

export const HEARTBEAT_TABLE: readonly Row[] = [
  // restart-pending: ping at the next tick, asking for the node list (trans 0).
  row('restart-pending', 'tick', 'always', 'probing', ['reset-retries', 'ping-with-list'], 'trans 0: restart pinging'),
  row('restart-pending', 'pong', 'ping-recent', 'up', ['heard', 'link-up'], 'handle_pong LS_TEMP race: reply to a ping just sent'),
  row('restart-pending', 'ping', 'always', 'restart-pending', ['heard'], 'a PING alone does not prove it knows us'),
  row('restart-pending', 'traffic', 'always', 'restart-pending', ['heard'], ''),

  // probing: a PING(req_node_list=1) is out; only a PONG brings the link Up (handle_pong).
  row('probing', 'pong', 'always', 'up', ['heard', 'link-up'], 'handle_pong: LS_RESTARTED → set_link_w_neigh_up'),
  // Only the PONG ends the wait: clearing it on other traffic left the link probing forever,
  // with no deadline, once our PING(req_node_list=1) or its PONG was lost (sim, 5% loss).
  row('probing', 'ping', 'always', 'probing', ['noted'], 'still awaiting the PONG'),
  row('probing', 'traffic', 'always', 'probing', ['noted'], 'still awaiting the PONG'),
  row('probing', 'tick', 'overdue-retry-left', 'probing', ['use-retry', 'ping-with-list'], 'trans 2/3: retry'),
  row('probing', 'tick', 'overdue-no-retry', 'down', [], 'trans 3: retries exhausted; never was Up, nothing to flood'),
  row('probing', 'unknown-id', 'always', 'restart-pending', [], 'handle_unknown_id → LS_RESTART_PINGING'),

  // up: regular pings; any traffic keeps it alive.
  row('up', 'pong', 'always', 'up', ['heard'], ''),
  row('up', 'ping', 'always', 'up', ['heard'], ''),
  row('up', 'traffic', 'always', 'up', ['heard'], 'ours: liveness counts any traffic'),
  row('up', 'tick', 'overdue-retry-left', 'suspect', ['reset-retries', 'use-retry', 'ping-with-list'], 'trans 2: first retry (link kept Up: ours)'),
  row('up', 'tick', 'overdue-no-retry', 'down', ['link-down'], 'trans 2 with no_ping_retries=0'),
  row('up', 'tick', 'ping-due', 'up', ['ping'], 'trans 5: regular ping, req_node_list=0'),
  row('up', 'connection-closed', 'always', 'suspect', ['reset-retries', 'ping-with-list'], 'ours: a FIN starts the retries now'),
  row('up', 'send-failed', 'always', 'suspect', ['reset-retries', 'await-reply'], 'trans 5 send failure → LS_RETRY_SEND_FAIL'),
  row('up', 'unknown-id', 'always', 'restart-pending', ['link-down'], 'handle_unknown_id: the peer restarted and forgot us'),
  row('up', 'peer-reset', 'always', 'restart-pending', ['link-down'], 'handle_ls_update about us: views disagree'),

  // suspect: retrying while the topology still counts the link Up.
  row('suspect', 'pong', 'always', 'up', ['heard'], ''),
  row('suspect', 'ping', 'always', 'up', ['heard'], 'ours: a PING proves it alive'),
  row('suspect', 'traffic', 'always', 'up', ['heard'], 'ours: liveness counts any traffic'),
  row('suspect', 'tick', 'overdue-retry-left', 'suspect', ['use-retry', 'ping-with-list'], 'trans 3: next retry'),
  row('suspect', 'tick', 'overdue-no-retry', 'down', ['link-down'], 'trans 3: retries exhausted, node is down'),
  row('suspect', 'send-failed', 'always', 'suspect', ['await-reply'], ''),
  row('suspect', 'unknown-id', 'always', 'restart-pending', ['link-down'], ''),
  row('suspect', 'peer-reset', 'always', 'restart-pending', ['link-down'], ''),

  // down: probe again after node_timeout, or at once when the neighbor shows up.
  row('down', 'tick', 'node-timeout', 'probing', ['reset-retries', 'ping-with-list'], 'trans 4: node_timeout passed'),
  row('down', 'ping', 'always', 'probing', ['heard', 'reset-retries', 'ping-with-list'], 'handle_ping: ping from failed node, restart now'),
  row('down', 'traffic', 'always', 'restart-pending', ['heard'], 'bin_rcv_cl_extra_packets: packet from failed node'),
  row('down', 'pong', 'ping-recent', 'up', ['heard', 'link-up'], 'handle_pong LS_TEMP race'),
  row('down', 'unknown-id', 'always', 'restart-pending', [], ''),
  row('down', 'peer-reset', 'always', 'restart-pending', [], 'handle_ls_update: it says our link is Up'),

  // enable / disable (clusterer_set_status, cl_set_state).
  ...live.map((s) => row(s, 'disable', 'always', 'disabled', s === 'up' || s === 'suspect' ? ['link-down'] : [], 'cl_set_state(disabled)')),
  row('disabled', 'enable', 'always', 'restart-pending', [], 'cl_set_state(enabled) → LS_RESTART_PINGING'),
];

/** First matching row, or undefined when the input changes nothing in this state. */
export function findRow(from: LinkState, on: HeartbeatInput, holds: (g: Guard) => boolean): Row | undefined {
  for (const r of HEARTBEAT_TABLE) {
    if (r.from === from && r.on === on && holds(r.when)) return r;
  }
  return undefined;
}
