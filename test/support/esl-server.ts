/**
 * A small stand-in for FreeSWITCH's mod_event_socket in inbound mode, for tests (FreeSWITCH is not
 * packaged for this machine). It speaks the real protocol as mod_event_socket does:
 *   - greets every connection with `Content-Type: auth/request`;
 *   - `auth <password>` → `command/reply` `+OK accepted`, or `-ERR invalid` followed by a
 *     `text/disconnect-notice` and the close (FreeSWITCH drops a client with a wrong password);
 *   - `event plain|json <NAME…> [CUSTOM <subclass…>]` → `+OK event listener enabled <format>`; only
 *     those events are sent afterwards, as `text/event-plain` (URL-encoded `Name: value` lines, the
 *     event's own Content-Length + body) or `text/event-json`, each framed with Content-Length;
 *   - `api status` → `api/response` with a Content-Length body; `exit` → `+OK bye`, disconnect-notice, close;
 *   - anything before auth, or unknown → `-ERR command not found`.
 * It replays recorded-looking events (a call's CHANNEL_CREATE / CHANNEL_ANSWER /
 * CHANNEL_HANGUP_COMPLETE, a CUSTOM conference::maintenance) and can be told to drop every
 * connection or to refuse the password.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';

export type EventHeaders = Array<[string, string]>;
export interface RecordedEvent { headers: EventHeaders; body?: string }

interface Conn {
  sock: Socket;
  authed: boolean;
  format: 'plain' | 'json' | undefined;
  names: Set<string>;
  subclasses: Set<string>;
  buf: string;
}

const DISCONNECT_BODY = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';

export class FakeFreeswitch {
  /** The password it accepts (FreeSWITCH's default is ClueCon). */
  password: string;
  /** When true every `auth` is answered `-ERR invalid`, whatever the password. */
  rejectPassword = false;
  readonly coreUuid = randomUUID();
  readonly hostname = 'fs-lab-1';
  /** Every command line received, in order (passwords included: it is a test server). */
  readonly commands: string[] = [];
  connectionsAccepted = 0;
  private readonly server: Server;
  private readonly conns = new Set<Conn>();
  private seq = 4200;

  constructor(password = 'ClueCon') {
    this.password = password;
    this.server = createServer((sock) => this.accept(sock));
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(port, host, resolve));
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('no address');
    return a.port;
  }

  /** Connections that are authenticated and subscribed to something. */
  subscribedCount(): number {
    return [...this.conns].filter((c) => c.format !== undefined).length;
  }

  openCount(): number {
    return this.conns.size;
  }

  /** Sends an event to every subscribed connection that asked for it; returns how many got it. */
  emit(ev: RecordedEvent): number {
    const name = value(ev.headers, 'Event-Name') ?? '';
    const subclass = value(ev.headers, 'Event-Subclass');
    let n = 0;
    for (const c of this.conns) {
      if (c.format === undefined) continue;
      const wanted = c.names.has('ALL') || (name === 'CUSTOM' ? subclass !== undefined && c.subclasses.has(subclass) : c.names.has(name));
      if (!wanted) continue;
      c.sock.write(c.format === 'json' ? jsonFrame(ev) : plainFrame(ev));
      n++;
    }
    return n;
  }

  /** Writes raw bytes to every open connection (hostile-input tests). */
  writeRaw(data: string | Buffer): void {
    for (const c of this.conns) c.sock.write(data);
  }

  /** mod_event_socket's goodbye: a disconnect notice to every connection, then the close. */
  dropAll(): void {
    for (const c of this.conns) this.disconnect(c);
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.sock.destroy();
    this.conns.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- recorded-looking events -------------------------------------------------------------

  private common(name: string): EventHeaders {
    const nowUs = Date.now() * 1000 + Math.floor(Math.random() * 1000);
    const d = new Date(Math.floor(nowUs / 1000));
    return [
      ['Event-Name', name],
      ['Core-UUID', this.coreUuid],
      ['FreeSWITCH-Hostname', this.hostname],
      ['FreeSWITCH-Switchname', this.hostname],
      ['FreeSWITCH-IPv4', '192.0.2.10'],
      ['FreeSWITCH-IPv6', '::1'],
      ['Event-Date-Local', d.toISOString().replace('T', ' ').slice(0, 19)],
      ['Event-Date-GMT', d.toUTCString()],
      ['Event-Date-Timestamp', String(nowUs)],
      ['Event-Calling-File', name.startsWith('CHANNEL') ? 'switch_channel.c' : 'mod_conference.c'],
      ['Event-Calling-Function', name.startsWith('CHANNEL') ? 'switch_channel_perform_set_running_state' : 'conference_send_presence'],
      ['Event-Calling-Line-Number', '2345'],
      ['Event-Sequence', String(++this.seq)],
    ];
  }

  /** The three events of one call from `caller` to `dest` (CHANNEL_CREATE, CHANNEL_ANSWER, CHANNEL_HANGUP_COMPLETE). */
  call(uuid: string, caller = '1001', dest = '3000'): [RecordedEvent, RecordedEvent, RecordedEvent] {
    const channel = (state: string, callState: string, answer: string): EventHeaders => [
      ['Channel-State', state],
      ['Channel-Call-State', callState],
      ['Channel-Name', `sofia/internal/${caller}@192.0.2.10`],
      ['Unique-ID', uuid],
      ['Call-Direction', 'inbound'],
      ['Presence-Call-Direction', 'inbound'],
      ['Answer-State', answer],
      ['Caller-Direction', 'inbound'],
      ['Caller-Username', caller],
      ['Caller-Dialplan', 'XML'],
      ['Caller-Caller-ID-Name', `Extension ${caller}`],
      ['Caller-Caller-ID-Number', caller],
      ['Caller-Network-Addr', '198.51.100.23'],
      ['Caller-Destination-Number', dest],
      ['Caller-Unique-ID', uuid],
      ['Caller-Context', 'default'],
      ['variable_sip_call_id', `${uuid.slice(0, 8)}@198.51.100.23`],
      ['variable_sip_user_agent', 'Yealink SIP-T46S 66.86.0.15'],
    ];
    return [
      { headers: [...this.common('CHANNEL_CREATE'), ...channel('CS_INIT', 'DOWN', 'ringing')] },
      { headers: [...this.common('CHANNEL_ANSWER'), ...channel('CS_EXECUTE', 'ACTIVE', 'answered')] },
      {
        headers: [...this.common('CHANNEL_HANGUP_COMPLETE'), ...channel('CS_REPORTING', 'HANGUP', 'hangup'),
          ['Hangup-Cause', 'NORMAL_CLEARING'], ['variable_billsec', '42'], ['variable_duration', '47']],
      },
    ];
  }

  /** A CUSTOM conference::maintenance event (a member joined), with a small body. */
  conferenceJoin(conference = '3000-lab', memberId = '7'): RecordedEvent {
    return {
      headers: [...this.common('CUSTOM'), ['Event-Subclass', 'conference::maintenance'],
        ['Conference-Name', conference], ['Conference-Size', '2'], ['Conference-Profile-Name', 'default'],
        ['Conference-Unique-ID', randomUUID()], ['Action', 'add-member'], ['Member-ID', memberId],
        ['Member-Type', 'member'], ['Caller-Caller-ID-Number', '1002']],
      body: 'member 7 joined 3000-lab: ünïcode ok\n',
    };
  }

  /** An event nobody subscribed to in the tests (to check the subscription is honoured). */
  heartbeat(): RecordedEvent {
    return { headers: [...this.common('HEARTBEAT'), ['Up-Time', '0 years, 0 days, 1 hour'], ['Session-Count', '0']] };
  }

  // ---- protocol ----------------------------------------------------------------------------

  private accept(sock: Socket): void {
    this.connectionsAccepted++;
    const c: Conn = { sock, authed: false, format: undefined, names: new Set(), subclasses: new Set(), buf: '' };
    this.conns.add(c);
    sock.setNoDelay(true);
    sock.on('data', (d) => this.onData(c, d.toString('utf8')));
    sock.on('error', () => {});
    sock.on('close', () => this.conns.delete(c));
    sock.write('Content-Type: auth/request\n\n');
  }

  private onData(c: Conn, text: string): void {
    c.buf += text.replaceAll('\r\n', '\n');
    for (;;) {
      const end = c.buf.indexOf('\n\n');
      if (end < 0) break;
      const cmd = c.buf.slice(0, end).split('\n')[0]?.trim() ?? '';
      c.buf = c.buf.slice(end + 2);
      if (cmd !== '') this.command(c, cmd);
      if (!this.conns.has(c)) return;
    }
  }

  private command(c: Conn, cmd: string): void {
    this.commands.push(cmd);
    const [verb = '', ...args] = cmd.split(/\s+/);
    if (verb === 'auth') {
      if (!this.rejectPassword && args.join(' ') === this.password) {
        c.authed = true;
        reply(c.sock, '+OK accepted');
      } else {
        reply(c.sock, '-ERR invalid');
        this.disconnect(c);
      }
      return;
    }
    if (!c.authed) {
      reply(c.sock, '-ERR command not found');
      return;
    }
    if (verb === 'event') {
      let format: 'plain' | 'json' = 'plain';
      let words = args;
      if (words[0] === 'plain' || words[0] === 'json') { format = words[0]; words = words.slice(1); } else if (words[0] === 'xml') {
        reply(c.sock, '-ERR xml not supported by this test server');
        return;
      }
      let custom = false;
      for (const w of words) {
        if (custom) c.subclasses.add(w);
        else if (w === 'CUSTOM') custom = true;
        else if (/^[A-Z][A-Z0-9_]*$/.test(w)) c.names.add(w);
      }
      if (c.names.size === 0 && c.subclasses.size === 0) {
        reply(c.sock, '-ERR no keywords supplied');
        return;
      }
      c.format = format;
      reply(c.sock, `+OK event listener enabled ${format}`);
      return;
    }
    if (verb === 'api' && args[0] === 'status') {
      const body = `UP 0 years, 0 days, 1 hour, 2 minutes, 3 seconds, 456 milliseconds, 789 microseconds\nFreeSWITCH (Version 1.10.12 -release 64bit) is ready\n3 session(s) since startup\n0 session(s) - peak 1, last 5min 1\n0 session(s) per Sec out of max 30, peak 1, last 5min 1\n1000 session(s) max\nmin idle cpu 0.00/99.00\nCurrent Stack Size/Max 240K/8192K\n`;
      c.sock.write(`Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`);
      return;
    }
    if (verb === 'noevents') {
      c.format = undefined;
      c.names.clear();
      c.subclasses.clear();
      reply(c.sock, '+OK no longer listening for events');
      return;
    }
    if (verb === 'exit') {
      reply(c.sock, '+OK bye');
      this.disconnect(c);
      return;
    }
    reply(c.sock, '-ERR command not found');
  }

  private disconnect(c: Conn): void {
    c.sock.end(`Content-Type: text/disconnect-notice\nContent-Length: ${Buffer.byteLength(DISCONNECT_BODY)}\n\n${DISCONNECT_BODY}`);
    this.conns.delete(c);
  }
}

function value(h: EventHeaders, name: string): string | undefined {
  return h.find(([n]) => n === name)?.[1];
}

function reply(sock: Socket, text: string): void {
  sock.write(`Content-Type: command/reply\nReply-Text: ${text}\n\n`);
}

/** text/event-plain: URL-encoded header lines; the event's own body after its Content-Length. */
export function plainFrame(ev: RecordedEvent): string {
  let body = ev.headers.map(([n, v]) => `${n}: ${encodeURIComponent(v)}\n`).join('');
  if (ev.body !== undefined) body += `Content-Length: ${Buffer.byteLength(ev.body)}\n\n${ev.body}`;
  else body += '\n';
  return `Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-plain\n\n${body}`;
}

/** text/event-json: one JSON object of the headers, the body under `_body`. */
export function jsonFrame(ev: RecordedEvent): string {
  const obj: Record<string, string> = Object.fromEntries(ev.headers);
  if (ev.body !== undefined) obj._body = ev.body;
  const body = JSON.stringify(obj);
  return `Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-json\n\n${body}`;
}
