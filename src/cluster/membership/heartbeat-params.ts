/**
 * Heartbeat timing, named after OpenSIPS clusterer modparams (doc/clusterer_admin.xml):
 * ping_interval (s), ping_timeout (ms), node_timeout (s) and the per-node no_ping_retries.
 * We keep everything in milliseconds so that sub-second failure detection can be configured.
 */
export interface HeartbeatParams {
  /** OpenSIPS ping_interval: a regular PING to an Up neighbor this often. */
  readonly pingIntervalMs: number;
  /** OpenSIPS ping_timeout: a PING not followed by any traffic within this long is overdue. */
  readonly pingTimeoutMs: number;
  /** OpenSIPS no_ping_retries (per node): retry PINGs after the first overdue one before Down. */
  readonly noPingRetries: number;
  /** OpenSIPS node_timeout: how long a Down node is left alone before it is probed again. */
  readonly nodeTimeoutMs: number;
  /**
   * Not in OpenSIPS. If our own tick comes this much later than the deadline we asked for, our
   * event loop was blocked: the silence we measured is ours, not the peer's, so every pending
   * reply gets a fresh pingTimeoutMs before it counts as overdue.
   */
  readonly stallThresholdMs: number;
}

/** OpenSIPS 4.0 defaults: ping_interval 4 s, ping_timeout 1000 ms, node_timeout 60 s, retries 3. */
export const OPENSIPS_DEFAULT_HEARTBEAT: HeartbeatParams = {
  pingIntervalMs: 4000,
  pingTimeoutMs: 1000,
  noPingRetries: 3,
  nodeTimeoutMs: 60_000,
  stallThresholdMs: 150,
};

/**
 * Our proposed "fast" settings: a dead neighbor is reported Down within
 * pingIntervalMs + (1 + noPingRetries) * pingTimeoutMs = 200 + 2 * 350 = 900 ms of its death
 * (plus one network latency), while a live neighbor that goes silent for 300 ms at a time
 * (blocked event loop) never reaches Down: Down needs 700 ms of silence after a PING.
 */
export const FAST_HEARTBEAT: HeartbeatParams = {
  pingIntervalMs: 200,
  pingTimeoutMs: 350,
  noPingRetries: 1,
  nodeTimeoutMs: 2000,
  stallThresholdMs: 150,
};

/** Worst-case time from a neighbor's death (just after it was last heard) to our Down verdict. */
export function worstCaseDetectionMs(p: HeartbeatParams): number {
  return p.pingIntervalMs + (1 + p.noPingRetries) * p.pingTimeoutMs;
}

/** Programming-error check of a parameter set; config validation reports to the user earlier. */
export function checkHeartbeatParams(p: HeartbeatParams): string[] {
  const problems: string[] = [];
  if (!(p.pingIntervalMs > 0)) problems.push('pingIntervalMs must be > 0');
  if (!(p.pingTimeoutMs > 0)) problems.push('pingTimeoutMs must be > 0');
  if (!Number.isInteger(p.noPingRetries) || p.noPingRetries < 0) problems.push('noPingRetries must be an integer >= 0');
  if (!(p.nodeTimeoutMs > 0)) problems.push('nodeTimeoutMs must be > 0');
  if (!(p.stallThresholdMs > 0)) problems.push('stallThresholdMs must be > 0');
  return problems;
}
