import type { CounterFactory, Counter } from '../../lib/counter.ts';
import { nullCounters } from '../../lib/counter.ts';
import type { Clock } from '../../lib/time.ts';
import type { NameAddr, SipMessage } from '../message/index.ts';
import { H, paramGet, paramValue, unquote } from '../message/index.ts';
import type { Binding, BindingFields } from './binding.ts';
import { parseQ } from './binding.ts';
import type { LocationStore } from './location-store.ts';
import {
  DEFAULT_EXPIRES_SEC, DEFAULT_MAX_CONTACTS_PER_AOR, DEFAULT_MAX_EXPIRES_SEC, DEFAULT_MIN_EXPIRES_SEC,
} from './limits.ts';
import { bindingContactValue, contactIsBehindNat, receivedUri, registerAor } from './register-contact.ts';
import { matchesBinding, messageUriEquals, type ContactKey } from './contact-match.ts';

/**
 * Path (RFC 3327) as the OpenSIPS/Kamailio registrar's path modes: `off` stores it without putting it
 * in the 200, `lazy` stores and returns it, `strict` also refuses (420) a UA without Supported: path;
 * `ignore` (their `use_path` 0) neither stores nor returns it.
 */
export type PathMode = 'ignore' | 'off' | 'lazy' | 'strict';

export interface RegistrarConfig {
  readonly minExpiresSec?: number;
  readonly maxExpiresSec?: number;
  readonly defaultExpiresSec?: number;
  /** 0 = unlimited (OpenSIPS max_contacts). */
  readonly maxContactsPerAor?: number;
  readonly pathMode?: PathMode;
  /**
   * REGISTER is answered statelessly (`registrar.statelessReplies`), so retransmissions reach the
   * registrar: an equal CSeq within the same Call-ID, within 32 s (64·T1) of the binding's last
   * change, is then a retransmission, answered 200 with the bindings unchanged (OpenSIPS usrloc
   * get_ucontact: equal CSeq within cseq_delay → "retransmission", skipped). Otherwise RFC 3261
   * §10.3 step 7 applies to it as to a lower CSeq (400).
   */
  readonly retransmissionsReachUs?: boolean;
}

/** Where the REGISTER came from (the transport layer knows; the message does not). */
export interface ReceiveInfo {
  readonly proto: 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';
  readonly sourceIp: string;
  readonly sourcePort: number;
  /** Local socket as OpenSIPS writes it: `udp:203.0.113.10:5060`. */
  readonly socket: string;
}

/** What the node should answer; it builds the response from the request with these. */
export interface RegisterReply {
  readonly status: number;
  readonly reason: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** Stable code for logs and counters when the REGISTER was refused. */
  readonly code?: string;
  readonly aor?: string;
  /** The AoR's bindings after the request (200 only). */
  readonly bindings?: readonly Binding[];
}

interface Planned {
  /** expiresSec 0 here means "remove" (a REGISTER never creates a permanent binding); undefined: unchanged (a retransmission, a repeated Contact). */
  readonly fields: BindingFields | undefined;
  readonly existing: Binding | undefined;
  /** `existing` is a current binding: not past its expiry (the sweep may not have removed it yet). */
  readonly alive: boolean;
  /** What identifies the binding (ContactKey), to tell a Contact the request repeats. */
  readonly contact: string;
  readonly instance: string | undefined;
  readonly regId: number;
}

/**
 * REGISTER processing, RFC 3261 §10.3 steps 2 and 5–8, over a LocationStore. Authentication (steps 3–4)
 * is the caller's: run DigestAuthenticator first and pass the request here once it succeeded.
 * Every check happens before the first change, so a refused REGISTER changes nothing (§10.3 step 7:
 * "the update MUST be aborted"). Synchronous; with write-through persistence the node awaits
 * `store.persisted()` before sending a 200.
 */
export class RegisterHandler {
  private readonly cfg: Required<RegistrarConfig>;
  private readonly accepted: Counter;
  private readonly rejected: Counter;
  /** The find() key, reused: the store only reads it during the call. */
  private readonly key: { contact: string; instance: string | undefined; regId: number } = { contact: '', instance: undefined, regId: 0 };

  constructor(private readonly store: LocationStore, private readonly clock: Clock, config: RegistrarConfig = {}, counters: CounterFactory = nullCounters) {
    this.cfg = {
      minExpiresSec: config.minExpiresSec ?? DEFAULT_MIN_EXPIRES_SEC,
      maxExpiresSec: config.maxExpiresSec ?? DEFAULT_MAX_EXPIRES_SEC,
      defaultExpiresSec: config.defaultExpiresSec ?? DEFAULT_EXPIRES_SEC,
      maxContactsPerAor: config.maxContactsPerAor ?? DEFAULT_MAX_CONTACTS_PER_AOR,
      pathMode: config.pathMode ?? 'lazy',
      retransmissionsReachUs: config.retransmissionsReachUs ?? false,
    };
    this.accepted = counters.counter('registrar:accepted_regs', 'REGISTERs answered 200');
    this.rejected = counters.counter('registrar:rejected_regs', 'REGISTERs refused');
    // OpenSIPS exposes its registrar settings as statistics too.
    counters.gauge('registrar:max_expires').set(this.cfg.maxExpiresSec);
    counters.gauge('registrar:max_contacts').set(this.cfg.maxContactsPerAor);
    counters.gauge('registrar:default_expire').set(this.cfg.defaultExpiresSec);
  }

  handle(req: SipMessage, rcv: ReceiveInfo): RegisterReply {
    const r = this.process(req, rcv);
    if (r.status === 200) this.accepted.inc();
    else this.rejected.inc();
    return r;
  }

  private process(req: SipMessage, rcv: ReceiveInfo): RegisterReply {
    // §10.3 step 2: the registrar is the UAS and processes Require as §8.2.2.3 says (one header
    // lookup: the usual REGISTER has no Require, and then nothing is read or allocated).
    if (req.indexOfId(H.require) >= 0) {
      const unsupported = unsupportedRequired(req, this.cfg.pathMode);
      if (unsupported !== undefined) return { ...refuse(420, 'Bad Extension', 'SIP_REG_BAD_EXTENSION'), headers: [['Unsupported', unsupported]] };
    }
    const aor = registerAor(req.to);
    if (aor === undefined) return refuse(404, 'Not Found', 'SIP_REG_BAD_AOR');
    const contacts = req.contacts();
    if (!contacts.ok) return refuse(400, 'Invalid Contact', 'SIP_REG_BAD_CONTACT');
    const expiresHdr = req.expires();
    if (!expiresHdr.ok) return refuse(400, 'Invalid Expires', 'SIP_REG_BAD_EXPIRES');
    const nowSec = Math.floor(this.clock.wallMs() / 1000);
    const callId = req.callId;
    const cseq = req.cseq.seq;

    if (contacts.value.star) {
      // §10.3 step 6: "*" only with Expires: 0.
      if (expiresHdr.value !== 0) return refuse(400, 'Invalid Request', 'SIP_REG_STAR_EXPIRES');
      const current = this.store.lookup(aor);
      // §10.3 step 6: same Call-ID needs a higher CSeq, else the whole request fails.
      // A retransmitted `*` finds no binding of its own (the first copy removed them): no retransmission rule here.
      if (current.some((b) => b.callId === callId && cseq <= b.cseq)) return refuse(400, 'Invalid CSeq number', 'SIP_REG_CSEQ_ORDER');
      this.store.removeAor(aor);
      return this.ok(aor, nowSec);
    }

    const path = this.pathOf(req);
    if (path === 'reject') return { ...refuse(420, 'Bad Extension', 'SIP_REG_PATH_UNSUPPORTED'), headers: [['Unsupported', 'path']] };
    const userAgent = req.get('User-Agent');
    const values = contacts.value.values;
    // Sized once (push would reserve 17 slots for the usual single contact).
    const plans = new Array<Planned>(values.length);
    const key = this.key;
    for (let i = 0; i < values.length; i++) {
      const na = values[i] as NameAddr;
      const contact = na.uri.raw;
      const qText = paramValue(na.params, 'q');
      const q = qText === undefined ? undefined : parseQ(qText);
      if (q === undefined && qText !== undefined) return refuse(400, 'Invalid q value', 'SIP_REG_BAD_Q');
      const expiresSec = this.expiresOf(na, expiresHdr.value);
      if (expiresSec > 0 && expiresSec < this.cfg.minExpiresSec) {
        // §10.3 step 7 / §20.23: 423 carries the minimum the registrar accepts.
        return { ...refuse(423, 'Interval Too Brief', 'SIP_REG_INTERVAL_TOO_BRIEF'), headers: [['Min-Expires', String(this.cfg.minExpiresSec)]] };
      }
      const instRaw = paramValue(na.params, '+sip.instance');
      const instance = instRaw === undefined ? undefined : unquote(instRaw);
      // RFC 5626 §6: reg-id without +sip.instance is ignored.
      const regIdParam = instance === undefined ? undefined : paramGet(na.params, 'reg-id');
      const regIdText = regIdParam === undefined ? undefined : (regIdParam.value ?? '');
      // RFC 5626 §4.1: reg-id = 1*DIGIT, "1 to (2^31 - 1)" (Number() alone took '', '0x10', '1e3').
      const regId = regIdText === undefined ? 0 : /^[0-9]{1,10}$/.test(regIdText) ? Number(regIdText) : NaN;
      if (regIdText !== undefined && !(regId >= 1 && regId <= 0x7fff_ffff)) return refuse(400, 'Invalid reg-id', 'SIP_REG_BAD_CONTACT');
      key.contact = contact;
      key.instance = instance;
      key.regId = regId;
      // A Contact the request already listed (same URI, or same instance and reg-id): the first one
      // decides, as OpenSIPS's save() does (the copy has the binding's Call-ID and CSeq, so §10.3
      // step 7 would not let it change what the first did). Without this, two plans on one binding
      // made two bindings, or an update of a binding the first had removed (which threw mid-commit).
      if (i > 0 && repeats(plans, i, key)) {
        plans[i] = { fields: undefined, existing: undefined, alive: false, contact, instance, regId };
        continue;
      }
      const existing = this.store.find(aor, key);
      // §10.3 step 7 applies to current bindings: one past its expiry (swept within a second) no
      // longer exists for the RFC; it is still the one to overwrite, so that no second copy is made.
      const alive = existing !== undefined && (existing.permanent || existing.expiresSec > nowSec);
      // §10.3 step 7: a binding refreshed within the same Call-ID needs a higher CSeq.
      if (alive && existing.callId === callId && cseq <= existing.cseq) {
        if (!this.isRetransmission(cseq, existing, nowSec)) return refuse(400, 'Invalid CSeq number', 'SIP_REG_CSEQ_ORDER');
        // A retransmission of the REGISTER that set this binding: it stays as it is.
        plans[i] = { fields: undefined, existing, alive, contact, instance, regId };
        continue;
      }
      const f: { -readonly [K in keyof BindingFields]: BindingFields[K] } = {
        contact, expiresSec: expiresSec === 0 ? 0 : nowSec + expiresSec, callId, cseq, socket: rcv.socket, regId,
      };
      if (q !== undefined) f.q = q;
      if (userAgent !== undefined) f.userAgent = userAgent;
      if (path !== undefined) f.path = path;
      if (instance !== undefined) f.instance = instance;
      if (contactIsBehindNat(na, rcv)) f.received = receivedUri(rcv);
      plans[i] = { fields: f, existing, alive, contact, instance, regId };
    }

    // Expires 0 on a contact removes it (§10.3 step 8); count what would remain before changing anything.
    const current = this.store.lookup(aor, nowSec);
    let remaining = current.length;
    for (const p of plans) {
      if (p.fields === undefined) continue;
      const removing = p.fields.expiresSec === 0;
      // `current` holds the live bindings only: an expired one refreshed here is one more.
      if (p.alive && removing) remaining--;
      else if (!p.alive && !removing) remaining++;
    }
    if (this.cfg.maxContactsPerAor > 0 && remaining > this.cfg.maxContactsPerAor) {
      // OpenSIPS answers too many contacts with 503 "Too many registered contacts".
      return refuse(503, 'Too many registered contacts', 'SIP_REG_TOO_MANY_CONTACTS');
    }

    // The request's second is the bindings' last_modified too: one clock read per REGISTER
    // (Date.now() is a runtime call; it was read four times).
    const at = { lastModifiedSec: nowSec };
    for (const p of plans) {
      if (p.fields === undefined) continue;
      if (p.fields.expiresSec === 0) {
        if (p.existing !== undefined) this.store.remove(p.existing);
      } else if (p.existing !== undefined) {
        this.store.update(p.existing, p.fields, at);
      } else {
        this.store.insert(aor, p.fields, at);
      }
    }
    // RFC 3327 §5.3: the 200 carries this request's Path (not the Path another binding of the AoR
    // stored: that one names another UA's edge proxies); path mode `off` keeps it out.
    return this.ok(aor, nowSec, this.cfg.pathMode === 'off' ? undefined : path);
  }

  /**
   * §10.3 step 7 refuses a CSeq not above the binding's within one Call-ID. When retransmissions
   * reach the registrar, an equal CSeq within 64·T1 of the binding's last change, on a binding still
   * alive, is the retransmission of the REGISTER that set it (OpenSIPS usrloc: equal CSeq within
   * `cseq_delay` of last_modified); later, it is a UA reusing a CSeq, refused as the RFC says.
   */
  private isRetransmission(cseq: number, b: Binding, nowSec: number): boolean {
    return this.cfg.retransmissionsReachUs && cseq === b.cseq && nowSec - b.lastModifiedSec < RETRANSMISSION_WINDOW_SEC
      && (b.permanent || b.expiresSec > nowSec);
  }

  /** Contact `expires` param, else Expires header, else default; clamped to max (§10.3 step 7). 0 = remove. */
  private expiresOf(na: NameAddr, header: number | undefined): number {
    const requested = expiresRequested(na, header);
    if (requested === 0) return 0;
    return Math.min(requested ?? this.cfg.defaultExpiresSec, this.cfg.maxExpiresSec);
  }

  /** RFC 3327 §5.3: the Path to store, 'reject' in strict mode without Supported: path. */
  private pathOf(req: SipMessage): string | undefined | 'reject' {
    if (this.cfg.pathMode === 'ignore') return undefined;
    const values = req.getList('Path');
    if (values.length === 0) return undefined;
    if (this.cfg.pathMode === 'strict' && !supportsPath(req)) return 'reject';
    return values.join(',');
  }

  /** The 200: every current binding (§10.3 step 8), and `path` (this REGISTER's, to echo) when given. */
  private ok(aor: string, nowSec: number, path?: string): RegisterReply {
    const bindings = this.store.lookup(aor, nowSec);
    // RFC 3261 §10.3 step 8: a Date header lets simple UAs learn the time.
    const date = httpDate(nowSec);
    if (bindings.length === 1 && path === undefined) {
      // The usual answer (one contact, no Path) as one array literal: no growth, no closure.
      return { status: 200, reason: 'OK', headers: [['Contact', bindingContactValue(bindings[0] as Binding, nowSec)], ['Date', date]], aor, bindings };
    }
    const headers: Array<readonly [string, string]> = [];
    for (const b of bindings) headers.push(['Contact', bindingContactValue(b, nowSec)]);
    if (path !== undefined) headers.push(['Path', path]);
    headers.push(['Date', date]);
    return { status: 200, reason: 'OK', headers, aor, bindings };
  }
}

/**
 * The Require option tags this registrar does not implement, as an Unsupported value (RFC 3261
 * §8.2.2.3: 420 listing them), or undefined when it implements all. Only `path` (RFC 3327) is
 * ours, and not in mode `ignore`, which drops Path; outbound and gruu (RFC 5626, 5627) are not
 * implemented (keying bindings by +sip.instance/reg-id is not the outbound flow support a UA
 * requiring it expects). Option tags compare case-insensitively (§7.3.1: field values are, unless
 * a header says otherwise).
 */
function unsupportedRequired(req: SipMessage, pathMode: PathMode): string | undefined {
  let out: string | undefined;
  for (const raw of req.getList('Require')) {
    const tag = raw.trim();
    if (tag === '' || (pathMode !== 'ignore' && tag.toLowerCase() === 'path')) continue;
    out = out === undefined ? tag : `${out}, ${tag}`;
  }
  return out;
}

/** Supported: path (RFC 3327 §5.1: the UA understands Path in the 200). */
function supportsPath(req: SipMessage): boolean {
  return req.getList('Supported').some((s) => s.trim().toLowerCase() === 'path');
}

/** Does Contact i of the request designate a binding an earlier Contact of it already did? */
function repeats(plans: readonly Planned[], i: number, key: ContactKey): boolean {
  for (let j = 0; j < i; j++) if (matchesBinding(plans[j] as Planned, key, messageUriEquals)) return true;
  return false;
}

/** The expiry the UA asked for, before limits: contact param first, then the header (§10.2.1.1). */
function expiresRequested(na: NameAddr, header: number | undefined): number | undefined {
  const p = paramValue(na.params, 'expires');
  if (p !== undefined && /^\d{1,10}$/.test(p)) return Math.min(Number(p), 0xffff_ffff);
  return header;
}

/** 64·T1 with the default T1: how long a UAC retransmits a non-INVITE request (RFC 3261 §17.1.2.2, timer F). */
const RETRANSMISSION_WINDOW_SEC = 32;

function refuse(status: number, reason: string, code: string): RegisterReply {
  return { status, reason, headers: [], code };
}

let dateSec = -1;
let dateText = '';

/** RFC 1123 date of a Unix second, formatted once per second (every 200 to REGISTER carries one). */
function httpDate(nowSec: number): string {
  if (nowSec !== dateSec) {
    dateSec = nowSec;
    dateText = new Date(nowSec * 1000).toUTCString();
  }
  return dateText;
}
