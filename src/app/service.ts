/**
 * A part of a running node with a lifecycle. `stop` first stops accepting new work, then lets
 * in-flight work finish until `deadlineMs` (monotonic, realClock.nowMs), then releases resources.
 */
export interface Service {
  readonly name: string;
  stop(deadlineMs: number): Promise<void>;
}
