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
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "probe.h"

#define MAX_MAPS 256

static char rx[PROBE_MSG_MAX + 1];
static char arena_block[64 * 1024];
static jarena arena;
static char txmem[2048];
static mapping maps[MAX_MAPS];
static int ctl_fd = -1;
static char saved_knobs[MAX_KNOBS][KNOB_LEN]; /* before open, from the relay */
static int have_knobs;
/* The program break when the session began: brk steps grow the heap from
 * here. Set by main, inherited by the children its fork steps make. */
static uintptr_t brk0;
/* The session's mechanism and the prefix of its mount points (told in __knobs). */
static const probe_mechanism *mech;
static char mnt_prefix[256];

const char *session_mount_prefix(void) { return mnt_prefix; }

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

__attribute__((noinline)) static void touch_loop(volatile char *p, size_t n, size_t stride, int write) {
  for (size_t i = 0; i < n; i++) {
    if (write) p[i * stride] = 1;
    else (void)p[i * stride];
  }
}

int touch_range(char *addr, size_t npages, size_t stride, int write, int *si_code) {
  fault_sig = 0;
  if (sigsetjmp(touch_jb, 1) == 0) {
    in_touch = 1;
    touch_loop(addr, npages, stride, write);
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

/* The mapping a step's "map" argument names, or NULL with r filled. */
mapping *need_map(const jval *args, step_res *r) {
  const char *name = arg_str(args, "map", 1, NULL, r);
  if (!name) return NULL;
  mapping *m = map_find(name);
  if (!m) res_error(r, "invalid", "no mapping named '%.64s' in this process", name);
  return m;
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

mapping *map_each(mapping *after) {
  for (int k = after ? (int)(after - maps) + 1 : 0; k < MAX_MAPS; k++)
    if (maps[k].used) return &maps[k];
  return NULL;
}

void map_remove(mapping *m) {
  if (m->fd >= 0) close(m->fd);
  memset(m, 0, sizeof *m);
  m->fd = -1;
}

int map_range(const mapping *m, const jval *args, int default_rest, size_t *off, size_t *len, step_res *r) {
  return map_range_unit(m, args, default_rest, PROBE_PAGE, off, len, r);
}

int map_range_unit(const mapping *m, const jval *args, int default_rest, size_t unit, size_t *off, size_t *len,
                   step_res *r) {
  unsigned long long total = m->len / unit, o, n;
  if (arg_uint(args, "offset", 0, 0, &o, r)) return -1;
  if (arg_uint(args, "pages", 0, default_rest ? (o <= total ? total - o : 0) : 1, &n, r)) return -1;
  if (o > total || n > total - o) {
    res_error(r, "invalid", "pages %llu..%llu lie outside mapping '%s' (%llu pages)", o, o + n, m->name, total);
    return -1;
  }
  *off = (size_t)(o * unit);
  *len = (size_t)(n * unit);
  return 0;
}

/* ---- the probe's own accountable memory ----
 *
 * A scenario describes a process whose only mappings are the ones its steps
 * made. A real session process also has the probe's runtime in it: libc's
 * data, its heap, the stack. Where that memory is accountable (VM_ACCOUNT),
 * fork charges a copy of it and exit gives it back, so those two steps
 * subtract or add it back: "own" memory is every accountable VMA of this
 * process less the parts that lie in a named mapping or in the heap the brk
 * steps added ([brk0, brk), page-aligned as the kernel charges it). */

static uintptr_t page_up(uintptr_t x) { return (x + PROBE_PAGE - 1) & ~(uintptr_t)(PROBE_PAGE - 1); }

/* Bytes of [s, e) covered by the scenario's memory: the named mappings and
 * [hs, he). The table may hold overlapping ranges (an mmap can land in what a
 * partial munmap freed), so this measures their union. */
static uintptr_t scenario_bytes(uintptr_t s, uintptr_t e, uintptr_t hs, uintptr_t he) {
  uintptr_t n = 0, cur = s;
  while (cur < e) {
    uintptr_t reach = 0, next = e; /* furthest end of a range holding cur; nearest start past cur */
    for (int k = 0; k <= MAX_MAPS; k++) {
      uintptr_t a, b;
      if (k < MAX_MAPS) {
        if (!maps[k].used || !maps[k].len) continue;
        a = (uintptr_t)maps[k].addr;
        b = a + maps[k].len;
      } else {
        a = hs;
        b = he;
      }
      if (a >= b) continue;
      if (a <= cur && cur < b) {
        if (b > reach) reach = b;
      } else if (a > cur && a < next) {
        next = a;
      }
    }
    if (reach) {
      if (reach > e) reach = e;
      n += reach - cur;
      cur = reach;
    } else {
      cur = next;
    }
  }
  return n;
}

struct own_count {
  int for_fork;
  uintptr_t vs, ve, hs, he, total, low;
};

/* One line of /proc/self/smaps; vs and ve hold the current VMA's range. */
static void smaps_take(const char *line, void *ctx) {
  struct own_count *c = ctx;
  if (vma_header(line, &c->vs, &c->ve)) return;
  if (strncmp(line, "VmFlags:", 8) || c->ve <= c->vs) return;
  int ac = 0, dc = 0;
  for (const char *p = line + 8; *p;) {
    while (*p == ' ') p++;
    const char *t = p;
    while (*p && *p != ' ') p++;
    if (p - t == 2 && t[0] == 'a' && t[1] == 'c') ac = 1;
    if (p - t == 2 && t[0] == 'd' && t[1] == 'c') dc = 1;
  }
  /* fork does not copy (nor charge) a VM_DONTCOPY VMA; exit gives back all. */
  if (ac && !(c->for_fork && dc)) {
    uintptr_t own = (c->ve - c->vs) - scenario_bytes(c->vs, c->ve, c->hs, c->he);
    c->total += own;
    /* Below the heap's end: the program's data and heap, which come before the scenario's
     * mappings in address order (fork charges VMAs in that order). */
    if (c->vs < c->he) c->low += own;
  }
  c->vs = c->ve = 0;
}

/* The probe's own accountable memory in this process, in kB, or -1 with
 * errno; *low_kb: the part below the heap's end. No malloc and no stdio: it
 * changes nothing it measures. */
static long own_kb(int for_fork, long *low_kb) {
  uintptr_t cur = (uintptr_t)sbrk(0);
  struct own_count c = {.for_fork = for_fork, .hs = page_up(brk0)};
  c.he = cur > brk0 ? page_up(cur) : c.hs;
  if (each_line("/proc/self/smaps", smaps_take, &c)) return -1;
  if (low_kb) *low_kb = (long)(c.low / 1024);
  return (long)(c.total / 1024);
}

/* The lowest mapping above the heap: where the kernel's top-down search starts from once no
 * hole is left above it. */
static void lowest_take(const char *line, void *ctx) {
  uintptr_t *lowest = ctx, s, e, heap = (uintptr_t)sbrk(0);
  if (vma_header(line, &s, &e) && s > heap && s < *lowest) *lowest = s;
}

/* The probe's start leaves holes among its own mappings (the dynamic loader unmaps its cache
 * file): a small mapping would be placed in one before anything below, where a process made
 * of the scenario's mappings alone has none. Each is filled with PROT_NONE pages nothing
 * charges, highest first as the kernel's search finds them, until a page comes out below them
 * all. */
void fill_own_holes(void) {
  uintptr_t lowest = UINTPTR_MAX;
  if (each_line("/proc/self/maps", lowest_take, &lowest) || lowest == UINTPTR_MAX) return;
  for (int k = 0; k < 1 << 16; k++) {
    char *p = mmap(NULL, PROBE_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return;
    if ((uintptr_t)p < lowest) {
      munmap(p, PROBE_PAGE);
      return;
    }
  }
}

/* VmSize from /proc/self/status in kB (the process's total_vm), or -1. */
static long vm_size_kb(void) {
  char status[4096];
  if (!read_whole("/proc/self/status", status, sizeof status)) return -1;
  const char *p = strstr(status, "\nVmSize:");
  return p ? strtol(p + 9, NULL, 10) : -1;
}

/* ---- dispatch ---- */

/* Reports the kernel's delta less the copy of the probe's own memory, which
 * a process made of the scenario's mappings alone would not have. */
static void do_fork(int fd, step_res *r) {
  if (fd < 0) {
    res_error(r, "internal", "fork without a control socket for the child");
    return;
  }
  long own = own_kb(1, NULL);
  if (own < 0) {
    res_error(r, "internal", "reading /proc/self/smaps: %s", errno_name(errno));
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
  r->delta = c1 - c0 - (pid > 0 ? own : 0); /* a failed fork has charged nothing */
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
  if (!strcmp(op, "__knobs")) {
    for (int k = 0; probe_knobs[k].name; k++) {
      const char *v = json_str(args, probe_knobs[k].name);
      if (!v || strlen(v) >= KNOB_LEN) {
        res_error(r, "internal", "bad knob snapshot");
        return;
      }
      strcpy(saved_knobs[k], v);
    }
    have_knobs = 1;
    const char *mnt = json_str(msg, "mnt");
    mech = mechanism_named(json_str(msg, "mechanism"));
    if (!mech) {
      res_error(r, "internal", "unknown mechanism in the session's set-up");
      return;
    }
    if (mnt && strlen(mnt) < sizeof mnt_prefix) strcpy(mnt_prefix, mnt);
    const jval *params = json_get(msg, "params");
    if (mech->session && params && params->t == J_OBJ) mech->session(params);
    return;
  }
  if (!strcmp(op, "__reap")) {
    long long pid;
    if (arg_int(args, "pid", 1, 0, &pid, r)) return;
    int e = end_child((pid_t)pid, &r->delta);
    if (e) res_error(r, "internal", "ending child %lld: %s", pid, errno_name(e));
    return;
  }
  if (!strcmp(op, "__own")) { /* before an exit step: what this process gives back beyond the scenario's */
    long low = 0, own = own_kb(0, &low);
    if (own < 0) res_error(r, "internal", "reading /proc/self/smaps: %s", errno_name(errno));
    else r->own = own, r->own_low = low, r->vm = vm_size_kb(), r->has_own = 1;
    return;
  }
  if (!strcmp(op, "__observe")) { /* this process's own observation fields, if its mechanism has any */
    if (mech && mech->proc_observe) r->obs = mech->proc_observe(json_str(args, "proc"), &r->obs_len);
    return;
  }
  if (!strcmp(op, "fork")) {
    do_fork(fd, r);
    return;
  }
  if (!mech || !mech->op(op, args, r)) res_error(r, "unsupported", "op '%.64s' is not implemented", op);
}

/* The relay is gone without ending the session: undo what the session changed
 * on the machine (its mounts, then the knobs) and exit. */
__attribute__((noreturn)) static void orphaned(void) {
  mounts_cleanup(mnt_prefix);
  if (have_knobs) knobs_restore(saved_knobs);
  _exit(0);
}

/* An __observe reply: {"ret":"ok","obs":{members}} in one record, the members
 * sent from the mechanism's own buffer (txmem is too small for them). */
static void reply_obs(const step_res *r) {
  static const char head[] = "{\"ret\":\"ok\",\"obs\":{", tail[] = "}}";
  struct iovec iov[3] = {{(void *)head, sizeof head - 1}, {(void *)r->obs, r->obs_len}, {(void *)tail, sizeof tail - 1}};
  struct msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = iov;
  mh.msg_iovlen = 3;
  ssize_t k;
  do k = sendmsg(ctl_fd, &mh, MSG_NOSIGNAL);
  while (k < 0 && errno == EINTR);
  if (k < 0) orphaned(); /* the relay is gone */
}

static void reply(const step_res *r) {
  if (r->kind == RES_OK && r->obs) {
    reply_obs(r);
    return;
  }
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
    if (r->has_own) sb_printf(&b, ",\"own\":%ld,\"own_low\":%ld,\"vm\":%ld", r->own, r->own_low, r->vm);
    if (r->has_value) sb_printf(&b, ",\"value\":%lld", r->value);
    sb_putc(&b, '}');
  }
  if (send_msg(ctl_fd, b.p, b.len, -1)) orphaned(); /* the relay is gone */
}

void proc_serve(int ctl) {
  ctl_fd = ctl;
  brk0 = (uintptr_t)sbrk(0);
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
    if (n <= 0) orphaned(); /* the relay is gone without ending the session: clean up after it */
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
