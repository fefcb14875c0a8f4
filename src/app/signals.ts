import type { NodeRuntime } from './node-runtime.ts';

/**
 * SIGTERM and SIGINT stop the node gracefully and exit 0; a second signal exits at once (1), so
 * an operator is never stuck behind a drain.
 */
export function exitOnSignals(rt: NodeRuntime): void {
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) {
      rt.logger.warn({ signal: sig }, 'second signal, exiting now');
      process.exit(1);
    }
    signalled = true;
    void rt.stop(sig).then(() => process.exit(0), (err: unknown) => {
      rt.logger.error({ err }, 'stop failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * Last resort for a promise rejected with nobody listening (a bug: every network input path
 * handles its errors). Node 20 would end the process and every call on it; the node logs the
 * error with its stack, counts it in `core:unhandled_rejections` and keeps serving. A synchronous
 * uncaught exception still ends the process: the state it left behind cannot be trusted.
 */
export function survivePromiseBugs(rt: NodeRuntime): void {
  const counter = rt.stats.counter('core:unhandled_rejections', 'promises rejected with no handler (bugs; logged with code INTERNAL_UNHANDLED_REJECTION)');
  process.on('unhandledRejection', (reason: unknown) => {
    counter.inc();
    rt.logger.error({ code: 'INTERNAL_UNHANDLED_REJECTION', err: reason }, 'a promise was rejected with no handler; the node keeps running');
  });
}
