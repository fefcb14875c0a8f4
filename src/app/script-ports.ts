import { realClock } from '../lib/real-time.ts';
import type { SipMessage } from '../sip/message/index.ts';
import { messageUriEquals, type DigestAuthenticator } from '../sip/registrar/index.ts';
import type { Contact } from '../script/api.ts';
import type { AuthCheck, AuthPort, RegistrarPort, ScriptSource } from '../script/ports.ts';
import { RegistrarService } from './registrar-service.ts';
import type { SubscriberRepo } from '../store/subscriber-repo.ts';

/** The script's registrar/location port over the node's RegistrarService. */
export function registrarPortOf(reg: RegistrarService, subscribers: SubscriberRepo): RegistrarPort {
  // The socket text of the last listener seen: a node has a few listeners, so this saves building
  // the same `proto:ip:port` string for every REGISTER.
  let sockProto = '';
  let sockAddress = '';
  let sockPort = -1;
  let socket = '';
  return {
    save(req: SipMessage, src: ScriptSource) {
      if (src.localPort !== sockPort || src.localAddress !== sockAddress || src.proto !== sockProto) {
        sockProto = src.proto;
        sockAddress = src.localAddress;
        sockPort = src.localPort;
        socket = `${src.proto}:${src.localAddress}:${src.localPort}`;
      }
      const r = reg.register.handle(req, { proto: src.proto, sourceIp: src.remoteAddress, sourcePort: src.remotePort, socket });
      // Write-through (usrloc db_mode 1): the 200 goes out once the binding is stored. Without a
      // write in flight (no persistence, write-back) the reply is ready now: no promise per REGISTER.
      if (!reg.location.writesPending()) return r;
      return reg.location.persisted().then(() => r);
    },
    lookup(aor: string): Contact[] {
      const nowSec = Math.floor(realClock.wallMs() / 1000);
      return reg.location.lookup(aor)
        .filter((b) => b.permanent || b.expiresSec > nowSec)
        .map((b) => ({
          uri: b.contact,
          destination: b.received,
          q: b.q < 0 ? undefined : b.q / 1000,
          expiresInSec: b.remainingSec(nowSec),
          path: b.path,
          instance: b.instance,
        }))
        .sort((a, b) => (b.q ?? 1) - (a.q ?? 1));
    },
    isRegistered(aor: string): boolean {
      return this.lookup(aor).length > 0;
    },
    async userExists(aor: string): Promise<boolean> {
      const at = aor.lastIndexOf('@');
      if (at < 0) return false;
      return (await subscribers.get(aor.slice(0, at), aor.slice(at + 1))) !== undefined;
    },
    aorOf: (s: string) => RegistrarService.aorOf(s),
  };
}

/** What the auth port uses of the node's RegistrarService (a test gives just an authenticator). */
interface DigestPort { readonly auth: DigestAuthenticator }
type CredentialsHeader = 'Authorization' | 'Proxy-Authorization';

const NO_CREDENTIALS: AuthCheck = Object.freeze({ ok: false, code: 'SIP_AUTH_MISSING', reason: 'no credentials', action: 'challenge' } as const);

/**
 * Tries each credentials value in turn, the first that verifies wins. Synchronous while the
 * authenticator answers synchronously (credentials cached); continues in a promise from the first
 * value that needs a store look-up.
 */
function checkCredentials(
  reg: DigestPort, req: SipMessage, realm: string, header: CredentialsHeader, values: readonly string[], from = 0, prev: AuthCheck = NO_CREDENTIALS,
): AuthCheck | Promise<AuthCheck> {
  let last = prev;
  // The body matters only for qop=auth-int; REGISTERs have none.
  const body = req.body.length === 0 ? '' : req.body.toString('utf8');
  for (let i = from; i < values.length; i++) {
    const r = reg.auth.verify({ credentials: values[i] as string, method: req.method, realm, requestUri: req.uriText, uriEquals: messageUriEquals, body });
    if (typeof (r as Promise<unknown>).then === 'function') {
      return (r as Promise<VerifyResult>).then((v) => (v.ok ? authorized(v, header, i) : checkCredentials(reg, req, realm, header, values, i + 1, refused(v))));
    }
    const v = r as VerifyResult;
    if (v.ok) return authorized(v, header, i);
    last = refused(v);
  }
  return last;
}

type VerifyResult = Awaited<ReturnType<DigestAuthenticator['verify']>>;

/** Success, naming the line that verified (the nth of `header`) for consumeCredentials. */
function authorized(v: VerifyResult & { ok: true }, header: CredentialsHeader, nth: number): AuthCheck {
  return { ok: true, username: v.value.username, realm: v.value.realm, header, nth };
}

function refused(v: VerifyResult & { ok: false }): AuthCheck {
  return { ok: false, code: v.error.code, reason: v.error.message, action: v.error.action };
}

/** The script's digest-auth port: credentials from Authorization (REGISTER) or Proxy-Authorization. */
export function authPortOf(reg: DigestPort, configuredRealm: string): AuthPort {
  return {
    check(req: SipMessage, realm: string) {
      const header = req.method === 'REGISTER' ? 'Authorization' : 'Proxy-Authorization';
      const values = req.getAll(header);
      // The first REGISTER of every digest exchange has no credentials: answered without a promise.
      if (values.length === 0) return NO_CREDENTIALS;
      return checkCredentials(reg, req, realm, header, values);
    },
    challenge(kind: 'www' | 'proxy', realm: string, stale: boolean) {
      const c = reg.auth.challenge(kind, realm, stale);
      return { status: c.status, reason: c.reason, headers: c.values.map((v) => [c.headerName, v] as const) };
    },
    defaultRealm(req: SipMessage): string {
      if (configuredRealm !== '') return configuredRealm;
      // OpenSIPS www_authorize("")/proxy_authorize(""): the To domain for REGISTER, else the From domain.
      const u = (req.method === 'REGISTER' ? req.to : req.from).uri;
      return u.kind === 'sip' ? u.host.toLowerCase() : 'sipcluster';
    },
  };
}
