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
