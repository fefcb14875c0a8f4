import type { Binding, BindingFields } from './binding.ts';

/**
 * Ports the registrar defines and src/store implements (DESIGN.md §2): the registrar never knows
 * which database is behind them. Both follow OpenSIPS's tables so an existing OpenSIPS database
 * can be pointed at (`location`, `subscriber`).
 */

/** A `location` row as loaded at start: the binding fields plus what identifies the row. */
export interface PersistedBinding extends BindingFields {
  /** `username@domain` (OpenSIPS keeps `username` and `domain` columns; the adapter joins them). */
  readonly aor: string;
  /** The `contact_id` column (BIGINT). */
  readonly contactId: bigint;
  readonly lastModifiedSec: number;
}

/** One change to write. `upsert` carries the whole binding (insert or update by `contact_id`). */
export type PersistenceChange =
  | { readonly op: 'upsert'; readonly binding: Binding }
  | { readonly op: 'delete'; readonly aor: string; readonly contactId: bigint };

/**
 * OpenSIPS usrloc `db_mode`, in words: `none` (0, memory only), `write-through` (1, every change
 * is written as it happens and `persisted()` resolves once it is), `write-back` (2, changes are
 * collected and written by `flush()` on a timer; a burst of refreshes costs one write per contact).
 */
export type PersistenceMode = 'none' | 'write-through' | 'write-back';

export interface LocationPersistence {
  /** Every stored row, read once at start (OpenSIPS preloads the table the same way). */
  load(): AsyncIterable<PersistedBinding>;
  /**
   * Applies the changes in order, in one transaction where the backend has them. A rejection
   * means none or only some were applied; the store keeps them queued (write-back) or counts
   * and reports the failure (write-through).
   */
  write(changes: readonly PersistenceChange[]): Promise<void>;
}

/**
 * What OpenSIPS's `subscriber` table keeps for digest authentication: the plain `password`
 * (when `calculate_ha1` is on), or precomputed `ha1` = MD5(user:realm:password) and
 * `ha1_sha256` = SHA-256(user:realm:password) (RFC 7616 §3.4.2, OpenSIPS 3.x columns).
 * Hex digests are lower case.
 */
export interface Credentials {
  readonly password?: string;
  readonly ha1?: string;
  readonly ha1Sha256?: string;
  /** `ha1_sha512t256` in OpenSIPS 3.2+; used for SHA-512-256 when present. */
  readonly ha1Sha512t256?: string;
}

export interface CredentialStore {
  /**
   * Looks a subscriber up; undefined when there is none (the caller answers 403/401, never leaks
   * which). A store that has the answer at hand (a cache) may return it directly, not as a promise.
   */
  get(username: string, domain: string): Credentials | undefined | Promise<Credentials | undefined>;
}
