/**
 * Named bounds for everything read from a FreeSWITCH Event Socket. FreeSWITCH's own frames have a
 * header block of two or three short lines (Content-Type, Content-Length, Reply-Text / Job-UUID);
 * events carry their data in the body, sized by Content-Length.
 */

/** Longest header block of one frame (headers up to the empty line), in bytes. Ours: ample for every FreeSWITCH frame. */
export const MAX_FRAME_HEADER_BYTES = 16 * 1024;

/** Header lines in one frame's header block. */
export const MAX_FRAME_HEADERS = 64;

/**
 * The largest Content-Length a frame may declare at all: mod_event_socket's own MAX_CONTENT_LENGTH
 * (16 MiB). A larger value is hostile or corrupt and closes the connection; bodies between the
 * configured `maxEventBytes` and this are skipped (not buffered) and counted.
 */
export const MAX_DECLARED_CONTENT_LENGTH = 16 * 1024 * 1024;

/** Default bound of one event body we buffer and decode (`esl.maxEventBytes`). */
export const DEFAULT_MAX_EVENT_BYTES = 256 * 1024;

/** Headers in one decoded event (a CHANNEL_* event with many channel variables has a few hundred). */
export const MAX_EVENT_HEADERS = 2000;

/**
 * Bound of one `ESL:` cluster message. A GENERIC_MSG must fit one BIN packet (MAX_PACKET_BYTES,
 * 65515, with tag and trailer; cluster/wire/limits.ts); this leaves room for both.
 */
export const MAX_BROADCAST_BYTES = 60_000;
