/**
 * The Kamailio peer of bench:sip: a registrar + Record-Route proxy written for this benchmark
 * from the module documentation (tm, sl, rr, maxfwd, textops, siputils, usrloc, registrar, auth,
 * htable). It keeps everything in memory, like sipcluster's own bench config:
 *   - usrloc `db_mode` 0: bindings live in shared memory only;
 *   - credentials live in an htable filled at start-up (event_route[htable:mod-init]) with the same
 *     user/password pairs as the SIPp injection file, so a lookup is a hash probe, not a db_text
 *     scan (db_text would cost Kamailio a linear search per REGISTER and flatter us);
 *   - digest auth (MD5, qop=auth) only when started with `-A WITH_AUTH`, so one file serves the
 *     REGISTER-without-auth, REGISTER-with-auth and call phases.
 */

/** Where Debian's kamailio package puts its modules (multiarch path). */
export const KAMAILIO_MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules';

export interface KamailioConfigOptions {
  port: number;
  /** Subscribers `prefix0 … prefix(n-1)` with password `passwordPrefix<i>` (same as the CSV). */
  users: number;
  userPrefix: string;
  passwordPrefix: string;
}

export function kamailioConfig(o: KamailioConfigOptions): string {
  return `#!KAMAILIO
# Written by bench/support/kamailio-config.ts for bench:sip. Not a production config.

####### Core: one UDP worker on loopback, nothing else listening #######
# Errors only: a log line per request would be measured too.
debug=-1
log_stderror=yes
fork=yes
children=1
disable_tcp=yes
auto_aliases=no
dns=no
# The credential loop in htable:mod-init runs once per user.
max_while_loops=${o.users + 10}
rev_dns=no
use_dns_cache=no
listen=udp:127.0.0.1:${o.port}
alias="127.0.0.1:${o.port}"

mpath="${KAMAILIO_MODULES}/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "htable.so"
loadmodule "auth.so"

# Bindings in memory only; never written anywhere.
modparam("usrloc", "db_mode", 0)
# 2^14 slots: room for the bench's users without long chains.
modparam("usrloc", "hash_size", 14)
modparam("registrar", "max_expires", 3600)
modparam("registrar", "default_expires", 3600)
# Credentials: user name -> plain password (auth computes HA1 per request, as sipcluster does
# with a plain-text subscriber row).
modparam("htable", "htable", "subs=>size=14;")
modparam("auth", "secret", "bench-sip-nonce-secret")
modparam("auth", "nonce_expire", 300)
modparam("rr", "enable_full_lr", 0)

####### Routing #######
event_route[htable:mod-init] {
  $var(i) = 0;
  while ($var(i) < ${o.users}) {
    $sht(subs=>${o.userPrefix}$var(i)) = "${o.passwordPrefix}" + $var(i);
    $var(i) = $var(i) + 1;
  }
}

request_route {
  if (!mf_process_maxfwd_header("10")) {
    sl_send_reply("483", "Too Many Hops");
    exit;
  }

  # In-dialog requests (ACK, BYE, re-INVITE) follow the Record-Route we put in the INVITE.
  if (has_totag()) {
    if (loose_route()) {
      if (is_method("ACK")) {
        forward();
      } else if (!t_relay()) {
        sl_reply_error();
      }
      exit;
    }
    # ACK of a non-2xx final answer: tm absorbs it when the transaction is ours.
    if (is_method("ACK") && t_check_trans()) {
      exit;
    }
    sl_send_reply("404", "Not Here");
    exit;
  }

  if (is_method("CANCEL")) {
    if (t_check_trans()) {
      t_relay();
    }
    exit;
  }
  # Absorb retransmissions of requests we already handle statefully.
  t_check_trans();

  if (is_method("OPTIONS") && $rU == $null) {
    sl_send_reply("200", "OK");
    exit;
  }

  if (is_method("REGISTER")) {
#!ifdef WITH_AUTH
    $var(pw) = $sht(subs=>$au);
    if ($var(pw) == $null || !pv_www_authenticate("$td", "$var(pw)", "0")) {
      www_challenge("$td", "1");
      exit;
    }
    consume_credentials();
#!endif
    if (!save("location")) {
      sl_reply_error();
    }
    exit;
  }

  if (is_method("INVITE")) {
    record_route();
  }
  if (!lookup("location")) {
    sl_send_reply("404", "Not Found");
    exit;
  }
  if (!t_relay()) {
    sl_reply_error();
  }
  exit;
}
`;
}
