export { ClusterMessaging, type Collected, type GenericEvent, type MessagingPorts, type MessagingResult, type RequestOptions } from './cluster-messaging.ts';
export { makeTag, TAG_RANDOM_CHARS } from './tags.ts';
export { MiPendingTable, MiTicketBox, miParamsHash, type MiOutcome, type MiTicket, MAX_PENDING_MI } from './mi-correlation.ts';
