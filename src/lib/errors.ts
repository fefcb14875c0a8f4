/**
 * Base class of every error sipcluster raises or returns. `code` is stable (documented in
 * docs/reference/errors.md, kept in step by test/arch/error-codes.test.ts); the message is for people.
 */
export class SipclusterError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'SipclusterError';
    this.code = code;
    this.details = details;
  }
}

/** A programming error: a broken invariant inside our own code. Never caused by input. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new SipclusterError('INTERNAL_INVARIANT', message);
}
