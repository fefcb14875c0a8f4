import type { BinMessage } from '../wire/index.ts';
import { CAP_SIPCLUSTER_MI, CAP_USRLOC } from '../wire/index.ts';

/**
 * The registered capability a routed message belongs to, for clusterer:set_cap_status: usrloc
 * replication, our remote-MI tickets and results, and the sync messages of the capability they
 * name (OpenSIPS sync.c sends SYNC_REQ/SYNC/SYNC_END on clusterer-extra, for one capability).
 * Undefined for the clusterer's own messages (generic messages, MI_CMD, REMOVE_NODE,
 * SHTAG_ACTIVE, the topology ones), which no capability switch stops.
 */
export function capabilityOf(m: BinMessage): string | undefined {
  switch (m.kind) {
    case 'urecord-insert': case 'urecord-delete': case 'ucontact-insert': case 'ucontact-update': case 'ucontact-delete':
      return CAP_USRLOC;
    case 'mi-ticket': case 'mi-result':
      return CAP_SIPCLUSTER_MI;
    case 'sync-req': case 'sync': case 'sync-end':
      return m.capability;
    default:
      return undefined;
  }
}
