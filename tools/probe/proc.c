/* proc.c - a session process: "main" or a child made by a fork step.
 *
 * It serves one record at a time on its control socket (SOCK_SEQPACKET to the
 * relay): {"op","args"} in, {"ret",...,"delta"} or {"error":{...}} out. It
 * never allocates from the heap and never uses stdio buffers, so the only
 * changes to its own address space are the ones the steps ask for, and it
 * reads Committed_AS right around the one syscall a step makes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "probe.h"

#define MAX_MAPS 256

static char rx[PROBE_MSG_MAX + 1];
static char arena_block[64 * 1024];
static jarena arena;
static char txmem[2048];
static mapping maps[MAX_MAPS];
static int ctl_fd = -1;

/* ---- signals ---- */

static sigjmp_buf touch_jb;
static volatile sig_atomic_t in_touch, fault_sig, fault_code;

static void on_term(int sig) {
  (void)sig;
  _exit(0);
}

static void on_fault(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  if (in_touch) {
    in_touch = 0;
    fault_sig = sig;
    fault_code = si->si_code;
    siglongjmp(touch_jb, 1);
  }
  /* Not a touch: restore the default action; returning re-faults and ends us. */
  signal(sig, SIG_DFL);
}

static void setup_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, NULL);
  sa.sa_handler = SIG_DFL;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  sigaction(SIGCHLD, &sa, NULL);
  sa.sa_handler = NULL;
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

__attribute__((noinline)) static void touch_loop(volatile char *p, size_t n, int write) {
  for (size_t i = 0; i < n; i++) {
    if (write) p[i * PROBE_PAGE] = 1;
    else (void)p[i * PROBE_PAGE];
  }
}

int touch_range(char *addr, size_t npages, int write, int *si_code) {
  fault_sig = 0;
  if (sigsetjmp(touch_jb, 1) == 0) {
    in_touch = 1;
    touch_loop(addr, npages, write);
    in_touch = 0;
    return 0;
  }
  *si_code = fault_code;
  return fault_sig;
}

/* ---- results and arguments ---- */

void res_error(step_res *r, const char *kind, const char *fmt, ...) {
  r->kind = RES_ERROR;
  r->ekind = kind;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->emsg, sizeof r->emsg, fmt, ap);
  va_end(ap);
}

int args_check_keys(const jval *args, const char *const *allowed, step_res *r) {
  for (const jval *m = args->child; m; m = m->next) {
    int ok = 0;
    for (const char *const *k = allowed; *k && !ok; k++) ok = !strcmp(*k, m->key);
    if (!ok) {
      res_error(r, "unsupported", "argument '%.64s' is not supported", m->key);
      return -1;
    }
  }
  return 0;
}

static int arg_num(const jval *args, const char *key, int required, int allow_neg, long long def, long long *out,
                   step_res *r) {
  const jval *v = json_get(args, key);
  if (!v) {
    if (required) {
      res_error(r, "invalid", "missing argument '%s'", key);
      return -1;
    }
    *out = def;
    return 0;
  }
  if (v->t == J_NUM && v->is_int && (allow_neg || v->i >= 0)) {
    *out = v->i;
    return 0;
  }
  res_error(r, "invalid", "argument '%s' must be a concrete %s integer", key, allow_neg ? "" : "non-negative");
  return -1;
}

int arg_uint(const jval *args, const char *key, int required, unsigned long long def, unsigned long long *out,
             step_res *r) {
  long long v;
  if (arg_num(args, key, required, 0, (long long)def, &v, r)) return -1;
  *out = (unsigned long long)v;
  return 0;
}

int arg_int(const jval *args, const char *key, int required, long long def, long long *out, step_res *r) {
  return arg_num(args, key, required, 1, def, out, r);
}

int arg_bool(const jval *args, const char *key, int def, int *out, step_res *r) {
  const jval *v = json_get(args, key);
  if (!v) {
    *out = def;
    return 0;
  }
  if (v->t != J_BOOL) {
    res_error(r, "invalid", "argument '%s' must be a boolean", key);
    return -1;
  }
  *out = v->b;
  return 0;
}

const char *arg_str(const jval *args, const char *key, int required, const char *def, step_res *r) {
  const jval *v = json_get(args, key);
  if (!v) {
    if (required) res_error(r, "invalid", "missing argument '%s'", key);
    return required ? NULL : def;
  }
  if (v->t != J_STR) {
    res_error(r, "invalid", "argument '%s' must be a string", key);
    return NULL;
  }
  return v->s;
}

/* ---- the mapping table ---- */

mapping *map_find(const char *name) {
  for (int k = 0; k < MAX_MAPS; k++)
    if (maps[k].used && !strcmp(maps[k].name, name)) return &maps[k];
  return NULL;
}

mapping *map_add(const char *name, step_res *r) {
  if (!valid_name(name)) {
    res_error(r, "invalid", "bad mapping name '%.64s'", name);
    return NULL;
  }
  if (map_find(name)) {
    res_error(r, "invalid", "mapping '%s' already exists in this process", name);
    return NULL;
  }
  for (int k = 0; k < MAX_MAPS; k++)
    if (!maps[k].used) {
      memset(&maps[k], 0, sizeof maps[k]);
      maps[k].used = 1;
      maps[k].fd = -1;
      strcpy(maps[k].name, name);
      return &maps[k];
    }
  res_error(r, "unsupported", "more than %d mappings in one process", MAX_MAPS);
  return NULL;
}

void map_remove(mapping *m) {
  if (m->fd >= 0) close(m->fd);
  memset(m, 0, sizeof *m);
  m->fd = -1;
}

int map_range(const mapping *m, const jval *args, int default_rest, size_t *off, size_t *len, step_res *r) {
  unsigned long long total = m->len / PROBE_PAGE, o, n;
  if (arg_uint(args, "offset", 0, 0, &o, r)) return -1;
  if (arg_uint(args, "pages", 0, default_rest ? (o <= total ? total - o : 0) : 1, &n, r)) return -1;
  if (o > total || n > total - o) {
    res_error(r, "invalid", "pages %llu..%llu lie outside mapping '%s' (%llu pages)", o, o + n, m->name, total);
    return -1;
  }
  *off = (size_t)(o * PROBE_PAGE);
  *len = (size_t)(n * PROBE_PAGE);
  return 0;
}

/* ---- dispatch ---- */

static void do_fork(int fd, step_res *r) {
  if (fd < 0) {
    res_error(r, "internal", "fork without a control socket for the child");
    return;
  }
  long c0 = committed_as_kb();
  pid_t pid = fork();
  if (pid == 0) {
    r->new_ctl = fd; /* the child serves the new socket */
    return;
  }
  int e = errno;
  long c1 = committed_as_kb();
  r->delta = c1 - c0;
  if (pid < 0) {
    r->kind = RES_ERRNO;
    r->err = e;
  } else {
    r->pid = pid;
  }
}

static void dispatch(const jval *msg, int fd, step_res *r) {
  const char *op = json_str(msg, "op");
  const jval *args = json_get(msg, "args");
  if (!op || !args || args->t != J_OBJ) {
    res_error(r, "internal", "bad message from the relay");
    return;
  }
  if (!strcmp(op, "__ping")) return;
  if (!strcmp(op, "__reap")) {
    long long pid;
    if (arg_int(args, "pid", 1, 0, &pid, r)) return;
    int e = end_child((pid_t)pid, &r->delta);
    if (e) res_error(r, "internal", "ending child %lld: %s", pid, errno_name(e));
    return;
  }
  if (!strcmp(op, "fork")) {
    do_fork(fd, r);
    return;
  }
  if (!overcommit_op(op, args, r)) res_error(r, "unsupported", "op '%.64s' is not implemented", op);
}

static void reply(const step_res *r) {
  sbuf b;
  sb_init_fixed(&b, txmem, sizeof txmem);
  switch (r->kind) {
    case RES_ERROR:
      sb_puts(&b, "{\"error\":{\"kind\":");
      sb_jstrz(&b, r->ekind);
      sb_puts(&b, ",\"message\":");
      sb_jstrz(&b, r->emsg);
      sb_puts(&b, "}}");
      break;
    case RES_OK: sb_printf(&b, "{\"ret\":\"ok\",\"delta\":%ld", r->delta); break;
    case RES_ERRNO: sb_printf(&b, "{\"ret\":\"errno\",\"errno\":\"%s\",\"delta\":%ld", errno_name(r->err), r->delta); break;
    case RES_SIGNAL:
      sb_printf(&b, "{\"ret\":\"signal\",\"signal\":\"%s\",\"si_code\":\"%s\",\"delta\":%ld", signal_name(r->sig),
                si_code_name(r->sig, r->code), r->delta);
      break;
  }
  if (r->kind != RES_ERROR) {
    if (r->pid) sb_printf(&b, ",\"pid\":%lld", r->pid);
    sb_putc(&b, '}');
  }
  if (send_msg(ctl_fd, b.p, b.len, -1)) _exit(0); /* the relay is gone */
}

void proc_serve(int ctl) {
  ctl_fd = ctl;
  setup_signals();
  jarena_init(&arena, arena_block, sizeof arena_block, 0);
  for (;;) {
    int fd = -1;
    ssize_t n = recv_msg(ctl_fd, rx, PROBE_MSG_MAX, &fd);
    step_res r;
    memset(&r, 0, sizeof r);
    r.new_ctl = -1;
    if (n < 0 && errno == EMSGSIZE) {
      res_error(&r, "invalid", "step too large");
      reply(&r);
      continue;
    }
    if (n <= 0) _exit(0); /* the relay is gone: so are we */
    rx[n] = 0;
    jarena_reset(&arena);
    char err[96];
    jval *msg = json_parse(&arena, rx, (size_t)n, err, sizeof err);
    if (!msg) res_error(&r, "invalid", "step: %s", err);
    else dispatch(msg, fd, &r);
    if (r.new_ctl >= 0) { /* a freshly forked child */
      close(ctl_fd);
      ctl_fd = r.new_ctl;
      continue;
    }
    if (fd >= 0) close(fd);
    reply(&r);
  }
}
