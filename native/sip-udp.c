/*
 * sip-udp: the node's UDP sockets without node:dgram's per-datagram cost.
 *
 * Why (docs/performance.md, session 16): answering a datagram through node:dgram costs a bare
 * Node responder ~15 us of CPU on the bench VM, more than Kamailio's whole REGISTER; half of it is
 * dgram itself — a JavaScript call per datagram received, an exact-size ArrayBuffer and an rinfo
 * object with a fresh address string per datagram, a SendWrap, an address parse and a sendmsg per
 * datagram sent. Here a readable socket is drained with recvmmsg(2), up to BATCH datagrams into a
 * buffer JavaScript shares, and JavaScript is called once per batch; the answers of a turn leave
 * with sendmmsg(2), one system call for the lot. The same responder costs ~8.5 us per REGISTER.
 *
 * JavaScript side: src/sip/transport/native-udp.ts. Nothing here knows SIP.
 *
 * Layout shared with JavaScript (one endpoint):
 *   arena  BATCH slots of SLOT bytes: datagram i at i * SLOT
 *   meta   Int32Array, META_INTS per datagram: [length or -1 if truncated, source port,
 *          IPv4 source address as an unsigned 32-bit number (0 for IPv6), length of its text]
 *   names  BATCH slots of NAME bytes: the source address as text (inet_ntop)
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8 /* napi_add_async_cleanup_hook: Node >= 14.10 */
#include <node_api.h>
#include <uv.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 32          /* as libuv: at most 32 datagrams read per wake-up */
#define SLOT 65536        /* over the largest UDP payload of IPv4 (65 507) and IPv6 (65 527) */
#define META_INTS 4
#define NAME 64           /* INET6_ADDRSTRLEN is 46 */
#define SEND_CHUNK 64     /* datagrams per sendmmsg */

/* Not an errno: the destination is not an IP literal of a family this socket can send to. */
#define ERR_NOT_LITERAL 100000

typedef struct endpoint endpoint_t;

/* What the JavaScript external holds: the endpoint until it is freed (on_closed), then NULL. The
 * box lives as long as the external (its finalizer frees it), so a call on a closed endpoint finds
 * NULL instead of freed memory. */
typedef struct {
  endpoint_t *ep;
} box_t;

struct endpoint {
  box_t *box;
  napi_env env;
  int fd;
  int family;
  int closing;
  int writable_armed;
  /* The environment is being torn down (a worker thread ending): JavaScript can no longer be called. */
  int torn_down;
  napi_async_cleanup_hook_handle cleanup;
  uv_poll_t poll;
  napi_ref on_batch;
  napi_ref on_writable;
  napi_ref on_close;
  napi_ref arena_ref, meta_ref, names_ref;
  napi_async_context actx;
  uint8_t *arena;
  int32_t *meta;
  char *names;
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_storage from[BATCH];
};

static napi_value throw_errno(napi_env env, const char *what, int err) {
  napi_value msg, code, e;
  char text[160];
  snprintf(text, sizeof text, "%s: %s", what, strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_int32(env, err, &code);
  napi_create_error(env, NULL, msg, &e);
  napi_set_named_property(env, e, "errno", code);
  napi_throw(env, e);
  return NULL;
}

/* Calls a JavaScript function from a libuv callback: a handle scope, the async context so that
 * process.nextTick and promise jobs queued by it run afterwards, and an exception thrown in it
 * reported as Node reports one thrown in a dgram 'message' listener (uncaughtException). */
static void call_js(endpoint_t *ep, napi_ref fn_ref, int argc, int32_t arg) {
  napi_env env = ep->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, argv[1], result;
  napi_get_reference_value(env, fn_ref, &fn);
  napi_get_global(env, &recv); /* napi_make_callback needs an object receiver */
  napi_create_int32(env, arg, &argv[0]);
  napi_status st = napi_make_callback(env, ep->actx, recv, fn, (size_t)argc, argv, &result);
  if (st == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  endpoint_t *ep = (endpoint_t *)h->data;
  if (ep->closing) return;
  if (status < 0) {
    /* POLLERR: libuv stopped the handle. The pending socket error is read (which clears it), the
     * error is counted by JavaScript, and the poll starts again: dgram keeps reading too. */
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    getsockopt(ep->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    uv_poll_start(&ep->poll, ep->writable_armed ? UV_READABLE | UV_WRITABLE : UV_READABLE, on_poll);
    call_js(ep, ep->on_batch, 1, soerr != 0 ? -soerr : status);
    return;
  }
  if ((events & UV_WRITABLE) && ep->writable_armed) {
    ep->writable_armed = 0;
    uv_poll_start(&ep->poll, UV_READABLE, on_poll);
    call_js(ep, ep->on_writable, 0, 0);
    if (ep->closing) return;
  }
  if (!(events & UV_READABLE)) return;
  for (int i = 0; i < BATCH; i++) {
    ep->iov[i].iov_base = ep->arena + (size_t)i * SLOT;
    ep->iov[i].iov_len = SLOT;
    memset(&ep->msgs[i].msg_hdr, 0, sizeof(struct msghdr));
    ep->msgs[i].msg_hdr.msg_iov = &ep->iov[i];
    ep->msgs[i].msg_hdr.msg_iovlen = 1;
    ep->msgs[i].msg_hdr.msg_name = &ep->from[i];
    ep->msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
  }
  int n = recvmmsg(ep->fd, ep->msgs, BATCH, MSG_DONTWAIT, NULL);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    call_js(ep, ep->on_batch, 1, -errno);
    return;
  }
  if (n == 0) return;
  for (int i = 0; i < n; i++) {
    int32_t *m = ep->meta + i * META_INTS;
    char *name = ep->names + i * NAME;
    struct sockaddr_storage *ss = &ep->from[i];
    m[0] = (ep->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? -1 : (int32_t)ep->msgs[i].msg_len;
    if (ss->ss_family == AF_INET) {
      struct sockaddr_in *sin = (struct sockaddr_in *)ss;
      m[1] = ntohs(sin->sin_port);
      m[2] = (int32_t)ntohl(sin->sin_addr.s_addr);
      if (inet_ntop(AF_INET, &sin->sin_addr, name, NAME) == NULL) name[0] = 0;
    } else {
      struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
      m[1] = ntohs(sin6->sin6_port);
      m[2] = 0;
      if (inet_ntop(AF_INET6, &sin6->sin6_addr, name, NAME) == NULL) name[0] = 0;
    }
    m[3] = (int32_t)strlen(name);
  }
  call_js(ep, ep->on_batch, 1, n);
}

static int get_buffer(napi_env env, napi_value v, void **data, size_t *len) {
  bool is;
  if (napi_is_buffer(env, v, &is) != napi_ok || !is) return 0;
  return napi_get_buffer_info(env, v, data, len) == napi_ok;
}

static int get_int32_array(napi_env env, napi_value v, int32_t **data, size_t *count) {
  bool is;
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  void *d;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  if (napi_get_typedarray_info(env, v, &t, count, &d, &ab, &off) != napi_ok || t != napi_int32_array) return 0;
  *data = d;
  return 1;
}

/* Parses an IP literal of the endpoint's family into `sa`; 0 when it is none. */
static int to_sockaddr(endpoint_t *ep, const char *text, int port, struct sockaddr_storage *sa, socklen_t *len) {
  memset(sa, 0, sizeof *sa);
  if (ep->family == AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *)sa;
    if (inet_pton(AF_INET, text, &sin->sin_addr) != 1) return 0;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    *len = sizeof *sin;
  } else {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;
    if (inet_pton(AF_INET6, text, &sin6->sin6_addr) != 1) return 0;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((uint16_t)port);
    *len = sizeof *sin6;
  }
  return 1;
}

static void on_closed(uv_handle_t *h);

/* The environment ends with the endpoint open (a worker thread that exits or is terminated without
 * closing its sockets): the poll handle must be closed before the thread's loop is, or Node aborts
 * the whole process ("uv_loop_close() while having open handles"). on_closed ends the hook. */
static void on_env_teardown(napi_async_cleanup_hook_handle handle, void *arg) {
  endpoint_t *ep = (endpoint_t *)arg;
  ep->torn_down = 1;
  if (ep->closing) return; /* a close is under way: its on_closed ends the hook */
  ep->closing = 1;
  uv_poll_stop(&ep->poll);
  uv_close((uv_handle_t *)&ep->poll, on_closed);
}

static const napi_type_tag endpoint_tag = { 0x5a1b2c3d4e5f6071ULL, 0x8192a3b4c5d6e7f8ULL };

/* The external is collected: the box goes; the endpoint (if still open) forgets it. */
static void box_finalize(napi_env env, void *data, void *hint) {
  box_t *box = (box_t *)data;
  if (box->ep != NULL) box->ep->box = NULL;
  free(box);
}

/* open(family 4|6, host, port, bufferBytes, arena, meta, names, onBatch(n), onWritable(), onClose())
 *   -> [endpoint, bound port, bound address]. onBatch(n): n datagrams are in the arena; n < 0 is -errno. */
static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 10) { napi_throw_type_error(env, NULL, "open: 10 arguments"); return NULL; }
  int32_t fam, port, bufbytes;
  char host[NAME];
  size_t hl;
  napi_get_value_int32(env, argv[0], &fam);
  if (napi_get_value_string_latin1(env, argv[1], host, sizeof host, &hl) != napi_ok) { napi_throw_type_error(env, NULL, "open: host"); return NULL; }
  napi_get_value_int32(env, argv[2], &port);
  napi_get_value_int32(env, argv[3], &bufbytes);
  if (port < 0 || port > 65535) { napi_throw_range_error(env, NULL, "open: port"); return NULL; }
  void *arena, *names;
  size_t alen, nlen, mcount;
  int32_t *meta;
  if (!get_buffer(env, argv[4], &arena, &alen) || alen < (size_t)BATCH * SLOT) { napi_throw_type_error(env, NULL, "open: arena"); return NULL; }
  if (!get_int32_array(env, argv[5], &meta, &mcount) || mcount < (size_t)BATCH * META_INTS) { napi_throw_type_error(env, NULL, "open: meta"); return NULL; }
  if (!get_buffer(env, argv[6], &names, &nlen) || nlen < (size_t)BATCH * NAME) { napi_throw_type_error(env, NULL, "open: names"); return NULL; }

  endpoint_t *ep = calloc(1, sizeof(endpoint_t));
  if (ep == NULL) return throw_errno(env, "open", ENOMEM);
  ep->env = env;
  ep->family = fam == 6 ? AF_INET6 : AF_INET;
  struct sockaddr_storage sa;
  socklen_t salen;
  if (!to_sockaddr(ep, host, port, &sa, &salen)) { free(ep); napi_throw_type_error(env, NULL, "open: host is not an IP literal of that family"); return NULL; }
  ep->fd = socket(ep->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (ep->fd < 0) { int e = errno; free(ep); return throw_errno(env, "socket", e); }
  int one = 1;
  if (ep->family == AF_INET6) setsockopt(ep->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(ep->fd, (struct sockaddr *)&sa, salen) != 0) { int e = errno; close(ep->fd); free(ep); return throw_errno(env, "bind", e); }
  if (bufbytes > 0) {
    setsockopt(ep->fd, SOL_SOCKET, SO_RCVBUF, &bufbytes, sizeof bufbytes);
    setsockopt(ep->fd, SOL_SOCKET, SO_SNDBUF, &bufbytes, sizeof bufbytes);
  }
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  getsockname(ep->fd, (struct sockaddr *)&bound, &blen);
  int bport = ntohs(ep->family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port : ((struct sockaddr_in6 *)&bound)->sin6_port);

  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init_socket(loop, &ep->poll, ep->fd) != 0) {
    close(ep->fd); free(ep); return throw_errno(env, "poll", EINVAL);
  }
  ep->poll.data = ep;
  ep->arena = arena;
  ep->meta = meta;
  ep->names = names;
  napi_create_reference(env, argv[4], 1, &ep->arena_ref);
  napi_create_reference(env, argv[5], 1, &ep->meta_ref);
  napi_create_reference(env, argv[6], 1, &ep->names_ref);
  napi_create_reference(env, argv[7], 1, &ep->on_batch);
  napi_create_reference(env, argv[8], 1, &ep->on_writable);
  napi_create_reference(env, argv[9], 1, &ep->on_close);
  napi_value name;
  napi_create_string_utf8(env, "SIPUDP", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &ep->actx);
  uv_poll_start(&ep->poll, UV_READABLE, on_poll);
  napi_add_async_cleanup_hook(env, on_env_teardown, ep, &ep->cleanup);

  char btext[NAME];
  if (inet_ntop(ep->family, ep->family == AF_INET ? (void *)&((struct sockaddr_in *)&bound)->sin_addr : (void *)&((struct sockaddr_in6 *)&bound)->sin6_addr, btext, sizeof btext) == NULL) btext[0] = 0;
  napi_value ext, pv, av, out;
  ep->box = malloc(sizeof(box_t));
  if (ep->box == NULL) { uv_poll_stop(&ep->poll); ep->closing = 1; uv_close((uv_handle_t *)&ep->poll, on_closed); return throw_errno(env, "open", ENOMEM); }
  ep->box->ep = ep;
  napi_create_external(env, ep->box, box_finalize, NULL, &ext);
  napi_type_tag_object(env, ext, &endpoint_tag);
  napi_create_int32(env, bport, &pv);
  napi_create_string_latin1(env, btext, NAPI_AUTO_LENGTH, &av);
  napi_create_array_with_length(env, 3, &out);
  napi_set_element(env, out, 0, ext);
  napi_set_element(env, out, 1, pv);
  napi_set_element(env, out, 2, av);
  return out;
}

static endpoint_t *endpoint_of(napi_env env, napi_value v) {
  box_t *box = NULL;
  napi_valuetype t;
  bool ours = false;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  if (napi_check_object_type_tag(env, v, &endpoint_tag, &ours) != napi_ok || !ours) return NULL;
  napi_get_value_external(env, v, (void **)&box);
  return box != NULL && box->ep != NULL && !box->ep->closing ? box->ep : NULL;
}

/*
 * sendBatch(endpoint, datas: Buffer[], ports: number[], addresses: string[], from, to, errors: Int32Array)
 *   -> the index reached. Sends datas[from..to) in order, SEND_CHUNK per sendmmsg. A datagram the
 *   kernel refuses gets its errno in errors[i - from] (ERR_NOT_LITERAL for an address that is no IP
 *   literal of the socket's family) and the rest go on; errors[i - from] is 0 for one sent. Stops
 *   early, at the first datagram not taken, when the socket's send buffer is full (EAGAIN,
 *   EWOULDBLOCK): the caller keeps the rest and calls armWritable.
 */
static napi_value SendBatch(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  endpoint_t *ep = argc == 7 ? endpoint_of(env, argv[0]) : NULL;
  if (ep == NULL) { napi_throw_error(env, "ERR_SIPUDP_CLOSED", "sendBatch: endpoint closed"); return NULL; }
  int32_t from, to;
  int32_t *errs;
  size_t ecount;
  napi_get_value_int32(env, argv[4], &from);
  napi_get_value_int32(env, argv[5], &to);
  if (!get_int32_array(env, argv[6], &errs, &ecount) || from < 0 || to < from || (size_t)(to - from) > ecount) {
    napi_throw_range_error(env, NULL, "sendBatch: bad range");
    return NULL;
  }
  struct mmsghdr msgs[SEND_CHUNK];
  struct iovec iov[SEND_CHUNK];
  struct sockaddr_storage dst[SEND_CHUNK];
  int idx[SEND_CHUNK];
  int i = from;
  while (i < to) {
    int k = 0;
    /* Fill a chunk with datagrams that have a usable destination; others get their error now. */
    while (i < to && k < SEND_CHUNK) {
      napi_value d, p, a;
      void *data;
      size_t len;
      int32_t port;
      char text[NAME];
      size_t tl;
      napi_get_element(env, argv[1], (uint32_t)i, &d);
      napi_get_element(env, argv[2], (uint32_t)i, &p);
      napi_get_element(env, argv[3], (uint32_t)i, &a);
      socklen_t sl = 0;
      if (!get_buffer(env, d, &data, &len) || napi_get_value_int32(env, p, &port) != napi_ok
          || napi_get_value_string_latin1(env, a, text, sizeof text, &tl) != napi_ok || tl >= sizeof text - 1
          || port < 1 || port > 65535 || !to_sockaddr(ep, text, port, &dst[k], &sl)) {
        errs[i - from] = ERR_NOT_LITERAL;
        i++;
        continue;
      }
      errs[i - from] = 0;
      iov[k].iov_base = data;
      iov[k].iov_len = len;
      memset(&msgs[k].msg_hdr, 0, sizeof(struct msghdr));
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
      msgs[k].msg_hdr.msg_name = &dst[k];
      msgs[k].msg_hdr.msg_namelen = sl;
      idx[k] = i;
      k++;
      i++;
    }
    int sent = 0;
    while (sent < k) {
      int n = sendmmsg(ep->fd, msgs + sent, (unsigned)(k - sent), MSG_DONTWAIT);
      if (n > 0) { sent += n; continue; }
      if (n < 0 && errno == EINTR) continue;
      int e = n < 0 ? errno : EIO;
      /* ENOBUFS on Linux UDP is memory pressure, not a full buffer: the socket stays writable,
       * so it is that datagram's error (as dgram reports it), not a reason to wait. */
      if (e == EAGAIN || e == EWOULDBLOCK) {
        napi_value r;
        napi_create_int32(env, idx[sent], &r);
        return r;
      }
      /* The datagram at `sent` is refused (EHOSTUNREACH, EMSGSIZE, EACCES…): noted, the next go on. */
      errs[idx[sent] - from] = e;
      sent++;
    }
  }
  napi_value r;
  napi_create_int32(env, to, &r);
  return r;
}

/* armWritable(endpoint): onWritable() is called once the socket can take datagrams again. */
static napi_value ArmWritable(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  endpoint_t *ep = argc == 1 ? endpoint_of(env, argv[0]) : NULL;
  if (ep != NULL && !ep->writable_armed) {
    ep->writable_armed = 1;
    uv_poll_start(&ep->poll, UV_READABLE | UV_WRITABLE, on_poll);
  }
  return NULL;
}

static void on_closed(uv_handle_t *h) {
  endpoint_t *ep = (endpoint_t *)h->data;
  napi_env env = ep->env;
  if (ep->box != NULL) ep->box->ep = NULL;
  close(ep->fd);
  if (!ep->torn_down) call_js(ep, ep->on_close, 0, 0);
  napi_async_destroy(env, ep->actx);
  napi_delete_reference(env, ep->arena_ref);
  napi_delete_reference(env, ep->meta_ref);
  napi_delete_reference(env, ep->names_ref);
  napi_delete_reference(env, ep->on_batch);
  napi_delete_reference(env, ep->on_writable);
  napi_delete_reference(env, ep->on_close);
  if (ep->cleanup != NULL) napi_remove_async_cleanup_hook(ep->cleanup);
  free(ep);
}

/* close(endpoint): stops reading; onClose() once the descriptor is closed. On a closed or closing endpoint a no-op. */
static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  endpoint_t *ep = argc == 1 ? endpoint_of(env, argv[0]) : NULL;
  if (ep == NULL) return NULL;
  ep->closing = 1;
  uv_poll_stop(&ep->poll);
  uv_close((uv_handle_t *)&ep->poll, on_closed);
  return NULL;
}

static napi_value Init(napi_env env, napi_value exports) {
  static const struct { const char *name; napi_callback fn; } fns[] = {
    { "open", Open }, { "sendBatch", SendBatch }, { "armWritable", ArmWritable }, { "close", Close },
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  napi_value c;
  napi_create_int32(env, BATCH, &c); napi_set_named_property(env, exports, "BATCH", c);
  napi_create_int32(env, SLOT, &c); napi_set_named_property(env, exports, "SLOT", c);
  napi_create_int32(env, META_INTS, &c); napi_set_named_property(env, exports, "META_INTS", c);
  napi_create_int32(env, NAME, &c); napi_set_named_property(env, exports, "NAME", c);
  napi_create_int32(env, ERR_NOT_LITERAL, &c); napi_set_named_property(env, exports, "ERR_NOT_LITERAL", c);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
