/**
 * MI method of the ESL bridge (OpenSIPS habits: snake_case keys, times in seconds):
 *   esl:status → { state, freeswitch, format, events, cluster_id, failed_attempts,
 *                  next_attempt_ms, subscribed_for_sec, last_error: { code, message, age_sec } | null,
 *                  last_event: { name, subclass, unique_id, core_uuid, hostname, age_sec } | null }
 * `state` is the client's: idle, connecting, authenticating, subscribing, subscribed, backoff, stopped.
 */
import { realClock } from '../lib/real-time.ts';
import type { RpcRegistry } from '../mgmt/rpc-registry.ts';
import type { EslBridge } from './esl-wiring.ts';

const ageSec = (atWallMs: number): number => Math.max(0, Math.floor((realClock.wallMs() - atWallMs) / 1000));

export function registerEslMethods(reg: RpcRegistry, bridge: EslBridge): void {
  reg.register({
    name: 'esl:status', aliases: ['esl_status'], help: 'the FreeSWITCH Event Socket connection: state, last error, last event',
    handler: () => {
      const st = bridge.client.status();
      const cfg = bridge.config;
      const ev = bridge.lastEvent();
      return {
        state: st.state,
        freeswitch: `${cfg.host}:${cfg.port}`,
        format: cfg.format,
        events: cfg.events,
        cluster_id: bridge.clusterId,
        failed_attempts: st.failedAttempts,
        next_attempt_ms: st.nextAttemptInMs ?? null,
        subscribed_for_sec: st.subscribedSinceWallMs === undefined ? null : ageSec(st.subscribedSinceWallMs),
        last_error: st.lastError === undefined ? null : { code: st.lastError.code, message: st.lastError.message, age_sec: ageSec(st.lastError.atWallMs) },
        last_event: ev === undefined ? null : {
          name: ev.name, subclass: ev.subclass ?? null, unique_id: ev.uniqueId ?? null, core_uuid: ev.coreUuid ?? null, hostname: ev.hostname ?? null, age_sec: ageSec(ev.atWallMs),
        },
      };
    },
  });
}
