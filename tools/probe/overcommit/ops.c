/* ops_overcommit.c - the "abi" ops of the overcommit mechanism
 * (spec/mechanisms/overcommit/mechanism.schema.json). Each op makes one
 * syscall and reads Committed_AS immediately before and after it. fork and
 * exit are handled by proc.c and the relay.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "probe.h"
#include "../hugetlb/pool.h"

#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif

static void set_errno_res(step_res *r, int ret_failed, int e) {
  if (ret_failed) {
    r->kind = RES_ERRNO;
    r->err = e;
  }
}

static int prot_of(const char *s, int *prot, step_res *r) {
  if (!strcmp(s, "rw")) *prot = PROT_READ | PROT_WRITE;
  else if (!strcmp(s, "r")) *prot = PROT_READ;
  else if (!strcmp(s, "none")) *prot = PROT_NONE;
  else {
    res_error(r, "invalid", "prot must be rw, r or none, not '%.32s'", s);
    return -1;
  }
  return 0;
}

static size_t pages_to_bytes(unsigned long long pages) {
  /* Past the address space: the kernel rejects it, as it would any huge size. */
  if (pages > (SIZE_MAX / PROBE_PAGE)) return SIZE_MAX & ~(PROBE_PAGE - 1);
  return (size_t)pages * PROBE_PAGE;
}

/* A regular file of len bytes on a disk file system; path out so the caller
 * unlinks it right after mmap. */
static int make_file(size_t len, char *path, size_t cap, step_res *r) {
  const char *dirs[] = {getenv("TMPDIR"), "/var/tmp", "/tmp"};
  int e = 0;
  for (size_t k = 0; k < sizeof dirs / sizeof *dirs; k++) {
    if (!dirs[k] || !*dirs[k]) continue;
    snprintf(path, cap, "%s/mmspec-probe-XXXXXX", dirs[k]);
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) {
      e = errno;
      continue;
    }
    if (ftruncate(fd, (off_t)len)) {
      e = errno;
      close(fd);
      unlink(path);
      res_error(r, "internal", "ftruncate of the backing file to %zu bytes: %s", len, errno_name(e));
      return -1;
    }
    return fd;
  }
  res_error(r, "internal", "cannot create a backing file ($TMPDIR, /var/tmp, /tmp): %s", errno_name(e));
  return -1;
}

/* Alignment of scenario mappings, and the least guard left on each side (one PMD on x86-64). */
#define GUARD_ALIGN (2UL << 20)

static void op_mmap(const jval *args, step_res *r) {
  static const char *const keys[] = {"as", "pages", "prot", "shared", "backing", "noreserve", NULL};
  unsigned long long pages;
  int prot, shared, noreserve;
  if (args_check_keys(args, keys, r)) return;
  const char *as = arg_str(args, "as", 1, NULL, r);
  if (!as || arg_uint(args, "pages", 1, 0, &pages, r)) return;
  const char *ps = arg_str(args, "prot", 0, "rw", r);
  if (!ps || prot_of(ps, &prot, r)) return;
  if (arg_bool(args, "shared", 0, &shared, r) || arg_bool(args, "noreserve", 0, &noreserve, r)) return;
  const char *backing = arg_str(args, "backing", 0, "anon", r);
  if (!backing) return;

  size_t len = pages_to_bytes(pages);
  int flags = shared ? MAP_SHARED : MAP_PRIVATE, fd = -1;
  char path[PATH_MAX] = "";
  if (!strcmp(backing, "anon")) {
    flags |= MAP_ANONYMOUS;
  } else if (!strcmp(backing, "hugetlb")) {
    flags |= MAP_ANONYMOUS | MAP_HUGETLB;
  } else if (!strcmp(backing, "zero")) {
    if ((fd = open("/dev/zero", O_RDWR | O_CLOEXEC)) < 0) {
      res_error(r, "internal", "open /dev/zero: %s", errno_name(errno));
      return;
    }
  } else if (!strcmp(backing, "file")) {
    if ((fd = make_file(len, path, sizeof path, r)) < 0) return;
  } else {
    res_error(r, "unsupported", "backing '%.32s' is not implemented", backing);
    return;
  }
  if (noreserve) flags |= MAP_NORESERVE;

  mapping *m = map_add(as, r);
  if (!m) {
    if (fd >= 0) close(fd);
    if (*path) unlink(path);
    return;
  }
  m->fd = fd;
  /* A scenario mapping must not merge with the probe's own VMAs (it would inherit their
   * anon_vma and flags), so it goes into a PROT_NONE reservation that leaves guard pages on
   * both sides, at a PMD-aligned address as the kernel picks for large anonymous mappings.
   * The reservation is neither writable nor shared, so it is never charged. Hugetlb VMAs
   * never merge and need huge-page alignment: they are mapped as they are. */
  char *res = NULL, *at = NULL;
  size_t reslen = 0;
  if (!(flags & MAP_HUGETLB)) {
    reslen = len + 2 * GUARD_ALIGN;
    res = mmap(NULL, reslen, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (res == MAP_FAILED) {
      int e = errno;
      map_remove(m);
      if (*path) unlink(path);
      set_errno_res(r, 1, e);
      return;
    }
    at = (char *)(((uintptr_t)res + PROBE_PAGE + GUARD_ALIGN - 1) & ~(uintptr_t)(GUARD_ALIGN - 1));
    flags |= MAP_FIXED;
  }
  long c0 = committed_as_kb();
  void *p = mmap(at, len, prot, flags, fd, 0);
  int e = errno;
  long c1 = committed_as_kb();
  if (*path) unlink(path);
  r->delta = c1 - c0;
  if (p == MAP_FAILED) {
    if (res) munmap(res, reslen);
    map_remove(m); /* closes fd */
    set_errno_res(r, 1, e);
    return;
  }
  m->addr = p;
  m->len = len;
}

static void op_munmap(const jval *args, step_res *r) {
  static const char *const keys[] = {"map", "offset", "pages", NULL};
  size_t off, len;
  if (args_check_keys(args, keys, r)) return;
  mapping *m = need_map(args, r);
  if (!m || map_range(m, args, 1, &off, &len, r)) return;
  long c0 = committed_as_kb();
  int rc = munmap(m->addr + off, len);
  int e = errno;
  long c1 = committed_as_kb();
  r->delta = c1 - c0;
  set_errno_res(r, rc != 0, e);
  if (!rc && off == 0 && len == m->len) map_remove(m);
}

static void op_mprotect(const jval *args, step_res *r) {
  static const char *const keys[] = {"map", "offset", "pages", "prot", NULL};
  size_t off, len;
  int prot;
  if (args_check_keys(args, keys, r)) return;
  mapping *m = need_map(args, r);
  if (!m) return;
  const char *ps = arg_str(args, "prot", 1, NULL, r);
  if (!ps || prot_of(ps, &prot, r) || map_range(m, args, 1, &off, &len, r)) return;
  long c0 = committed_as_kb();
  int rc = mprotect(m->addr + off, len, prot);
  int e = errno;
  long c1 = committed_as_kb();
  r->delta = c1 - c0;
  set_errno_res(r, rc != 0, e);
}

static void op_mremap(const jval *args, step_res *r) {
  static const char *const keys[] = {"map", "pages", "maymove", NULL};
  unsigned long long pages;
  int maymove;
  if (args_check_keys(args, keys, r)) return;
  mapping *m = need_map(args, r);
  if (!m || arg_uint(args, "pages", 1, 0, &pages, r) || arg_bool(args, "maymove", 1, &maymove, r)) return;
  size_t len = pages_to_bytes(pages);
  long c0 = committed_as_kb();
  void *p = mremap(m->addr, m->len, len, maymove ? MREMAP_MAYMOVE : 0);
  int e = errno;
  long c1 = committed_as_kb();
  r->delta = c1 - c0;
  if (p == MAP_FAILED) {
    set_errno_res(r, 1, e);
    return;
  }
  m->addr = p;
  m->len = len;
}

/* The C library's own heap, from the kernel's start_brk up to the break a session process
 * starts with, holds the probe's data below malloc's free top chunk. A brk step that would
 * leave the break in between takes back memory the probe itself uses (a static probe dies
 * of it): such a step is answered unsupported. Below start_brk the kernel keeps the break,
 * as a scenario may show. Taken when the session starts; forked children inherit it. */
static uintptr_t heap_start, heap_floor;

static void own_heap(void) {
  char st[1024];
  uintptr_t brk0 = (uintptr_t)sbrk(0);
  heap_start = heap_floor = brk0;
  if (!read_whole("/proc/self/stat", st, sizeof st)) return;
  const char *p = strrchr(st, ')');
  for (int field = 2; p && field < 47; field++) p = strchr(p + 1, ' '); /* start_brk is field 47 */
  if (!p) return;
  uintptr_t start = (uintptr_t)strtoull(p + 1, NULL, 10);
  struct mallinfo2 mi = mallinfo2();
  uintptr_t in_use = brk0 - mi.keepcost;
  if (start && start <= brk0) heap_start = start;
  heap_floor = (in_use + PROBE_PAGE - 1) & ~(uintptr_t)(PROBE_PAGE - 1);
  if (heap_floor < heap_start) heap_floor = heap_start;
}

static void overcommit_session(const jval *params) {
  pool_session(params);
  own_heap();
}

static void op_brk(const jval *args, step_res *r) {
  static const char *const keys[] = {"pages", NULL};
  long long pages;
  if (args_check_keys(args, keys, r) || arg_int(args, "pages", 1, 0, &pages, r)) return;
  if (pages > (long long)(INTPTR_MAX / (intptr_t)PROBE_PAGE) || pages < -(long long)(INTPTR_MAX / (intptr_t)PROBE_PAGE)) {
    res_error(r, "invalid", "brk of %lld pages overflows", pages);
    return;
  }
  intptr_t to = (intptr_t)sbrk(0) + (intptr_t)pages * (intptr_t)PROBE_PAGE;
  if (pages < 0 && to >= (intptr_t)heap_start && to < (intptr_t)heap_floor) {
    res_error(r, "unsupported", "the break would go %ld pages into the probe's own heap, taking back memory the probe uses",
              (long)(((intptr_t)heap_floor - to) / (intptr_t)PROBE_PAGE));
    return;
  }
  long c0 = committed_as_kb();
  void *p = sbrk((intptr_t)pages * (intptr_t)PROBE_PAGE);
  int e = errno;
  long c1 = committed_as_kb();
  r->delta = c1 - c0;
  set_errno_res(r, p == (void *)-1, e);
}

static void op_touch(const jval *args, step_res *r) {
  static const char *const keys[] = {"map", "offset", "pages", "write", NULL};
  size_t off, len;
  int write, code = 0;
  if (args_check_keys(args, keys, r)) return;
  mapping *m = need_map(args, r);
  if (!m || map_range(m, args, 0, &off, &len, r) || arg_bool(args, "write", 1, &write, r)) return;
  long c0 = committed_as_kb();
  int sig = touch_range(m->addr + off, len / PROBE_PAGE, PROBE_PAGE, write, &code);
  long c1 = committed_as_kb();
  r->delta = c1 - c0;
  if (sig) {
    r->kind = RES_SIGNAL;
    r->sig = sig;
    r->code = code;
  }
}

static void op_madvise(const jval *args, step_res *r) {
  static const char *const keys[] = {"map", "offset", "pages", "advice", NULL};
  size_t off, len;
  int advice;
  if (args_check_keys(args, keys, r)) return;
  mapping *m = need_map(args, r);
  if (!m) return;
  const char *adv = arg_str(args, "advice", 1, NULL, r);
  if (!adv) return;
  if (!strcmp(adv, "dontfork")) advice = MADV_DONTFORK;
  else if (!strcmp(adv, "dofork")) advice = MADV_DOFORK;
  else {
    res_error(r, "unsupported", "advice '%.32s' is not implemented", adv);
    return;
  }
  if (map_range(m, args, 1, &off, &len, r)) return;
  long c0 = committed_as_kb();
  int rc = madvise(m->addr + off, len, advice);
  int e = errno;
  long c1 = committed_as_kb();
  r->delta = c1 - c0;
  set_errno_res(r, rc != 0, e);
}

static void op_sysctl(const jval *args, step_res *r) {
  static const char *const keys[] = {"name", "value", NULL};
  static const char *const names[] = {"overcommit_memory",   "overcommit_ratio",    "overcommit_kbytes",
                                      "nr_hugepages",        "user_reserve_kbytes", "admin_reserve_kbytes",
                                      NULL};
  unsigned long long value;
  if (args_check_keys(args, keys, r)) return;
  const char *name = arg_str(args, "name", 1, NULL, r);
  if (!name || arg_uint(args, "value", 1, 0, &value, r)) return;
  int ok = 0;
  for (const char *const *k = names; *k && !ok; k++) ok = !strcmp(*k, name);
  if (!ok) {
    res_error(r, "invalid", "sysctl '%.64s' is not one of the overcommit knobs", name);
    return;
  }
  char val[32];
  snprintf(val, sizeof val, "%llu", value);
  long c0 = committed_as_kb();
  int e = !strcmp(name, "nr_hugepages") ? nr_hugepages_write(value, r) : knob_write(knob_index(name), val);
  long c1 = committed_as_kb();
  r->delta = c1 - c0;
  set_errno_res(r, e != 0, e);
}

static int overcommit_op(const char *op, const jval *args, step_res *r) {
  static const struct {
    const char *name;
    void (*fn)(const jval *, step_res *);
  } ops[] = {{"mmap", op_mmap},       {"munmap", op_munmap}, {"mprotect", op_mprotect},
             {"mremap", op_mremap},   {"brk", op_brk},       {"touch", op_touch},
             {"madvise", op_madvise}, {"sysctl", op_sysctl}};
  for (size_t k = 0; k < sizeof ops / sizeof *ops; k++)
    if (!strcmp(op, ops[k].name)) {
      ops[k].fn(args, r);
      return 1;
    }
  return 0;
}

/* ---- the relay: open and observe ---- */

/* The session's main process at open (kB; -1: not known). */
static long proc_vm_kb = -1, proc_acct_kb = -1, proc_acct_low_kb = -1;

static int overcommit_open(const jval *cfg, sbuf *res, rpc_err *e) {
  /* Config fields that are knobs: the policy is always applied (its defaults
   * are part of every scenario), the others only when the config names them. */
  static const char *const knobs[] = {"overcommit_memory", "overcommit_ratio", "overcommit_kbytes",
                                      "nr_hugepages", "user_reserve_kbytes", "admin_reserve_kbytes", NULL};
  enum { MODE, RATIO, KBYTES, HUGE, USER, ADMIN, N };
  long long val[N] = {0, 50, 0, 0, 0, 0};
  int given[N] = {1, 1, 0, 0, 0, 0};
  for (const jval *m = cfg->child; m; m = m->next) {
    if (!strcmp(m->key, "machine") || !strcmp(m->key, "cap_sys_admin")) continue;
    int k = 0;
    while (knobs[k] && strcmp(m->key, knobs[k])) k++;
    if (!knobs[k]) return relay_fail(e, "invalid", "unknown config field '%.64s'", m->key);
    if (m->t != J_NUM || !m->is_int || m->i < 0)
      return relay_fail(e, "invalid", "config.%s must be a non-negative integer", m->key);
    val[k] = m->i;
    given[k] = 1;
  }
  if (val[MODE] > 2) return relay_fail(e, "invalid", "config.overcommit_memory must be 0, 1 or 2");
  given[KBYTES] = val[KBYTES] > 0; /* writing the ratio already zeroed it */
  const jval *cap = json_get(cfg, "cap_sys_admin");
  if (cap && cap->t != J_BOOL) return relay_fail(e, "invalid", "config.cap_sys_admin must be a boolean");

  if (json_get(cfg, "machine")) return relay_skip(res, "a real kernel cannot take machine facts", 0);
  if (cap && !cap->b) return relay_skip(res, "running without CAP_SYS_ADMIN is not supported yet", 0);
  long psz = sysconf(_SC_PAGESIZE);
  if (psz != 4096) {
    char why[96];
    snprintf(why, sizeof why, "the page size is %ld bytes, not 4096", psz);
    return relay_skip(res, why, 1);
  }
  if (!relay_privileged(res)) return 0;
  if (relay_save_knobs(res)) return 0;
  long offset = pool_foreign_reserved();
  if (offset < 0) offset = 0;
  if (offset && !given[HUGE]) {
    /* Others' reserved pages may be surplus ones: make them persistent for the
     * session, so that the pool the session sees (net of them) is stable. */
    val[HUGE] = meminfo_field(meminfo_snapshot(), "HugePages_Total") - offset;
    given[HUGE] = 1;
  }
  pool_set_offset(offset);
  sbuf params = {0};
  sb_putc(&params, '{');
  pool_params(&params);
  sb_putc(&params, '}');
  int rc = relay_spawn(params.p, e);
  sb_free(&params);
  if (rc) return -1;
  /* The session process as it starts, before any step: its size and its own VM_ACCOUNT
   * memory (and the part below the scenario's mappings), which mode 2's user reserve and a
   * fork's charges depend on; reported with every observation. */
  jval *own;
  proc_vm_kb = proc_acct_kb = proc_acct_low_kb = -1;
  if (relay_main_call("__own", &own, e)) {
    relay_end_session();
    return -1;
  }
  const jval *vm = json_get(own, "vm"), *acct = json_get(own, "own"), *low = json_get(own, "own_low");
  if (vm && vm->t == J_NUM) proc_vm_kb = (long)vm->i;
  if (acct && acct->t == J_NUM) proc_acct_kb = (long)acct->i;
  if (low && low->t == J_NUM) proc_acct_low_kb = (long)low->i;
  for (int k = 0; k < N; k++)
    if (given[k] && relay_apply_knob(knobs[k], val[k] + (k == HUGE ? offset : 0), res)) return 0;
  return relay_open_session(res);
}

static void overcommit_observe(sbuf *b, int *first) {
  static const char *const mi_keys[] = {"CommitLimit",    "Committed_AS",   "MemTotal",       "SwapTotal",
                                        "HugePages_Total", "HugePages_Free", "HugePages_Rsvd", "HugePages_Surp",
                                        "Hugepagesize",   NULL};
  static const char *const vm_keys[] = {"overcommit_memory",   "overcommit_ratio",     "overcommit_kbytes",
                                        "user_reserve_kbytes", "admin_reserve_kbytes", NULL};
  const char *mi = meminfo_snapshot();
  char val[32], *end;
  long ratio = -1, kbytes = -1;
  if (!sysctl_read("overcommit_ratio", val, sizeof val)) ratio = strtol(val, &end, 10);
  if (!sysctl_read("overcommit_kbytes", val, sizeof val)) kbytes = strtol(val, &end, 10);
  for (size_t k = 0; mi_keys[k]; k++) {
    long v = meminfo_field(mi, mi_keys[k]);
    /* Measured around each step, so that other processes do not show in it. */
    if (!strcmp(mi_keys[k], "Committed_AS")) v = relay_committed_as();
    /* The limit as the pool net of others' reservations makes it (ratio mode only). The
     * kernel's checks still use its own: hugepages_others below tells a model the difference. */
    if (!strcmp(mi_keys[k], "CommitLimit") && v >= 0 && pool_offset() && kbytes == 0 && ratio >= 0) {
      long hp_pages = meminfo_field(mi, "Hugepagesize") / 4, total = meminfo_field(mi, "HugePages_Total");
      long ram = meminfo_field(mi, "MemTotal") / 4, swap = meminfo_field(mi, "SwapTotal");
      v = (ram - (total - pool_offset()) * hp_pages) * ratio / 100 * 4 + swap;
    }
    v = pool_net(mi_keys[k], v);
    if (v >= 0) obs_put(b, mi_keys[k], v, first);
  }
  for (size_t k = 0; vm_keys[k]; k++) {
    if (sysctl_read(vm_keys[k], val, sizeof val)) continue;
    long v = strtol(val, &end, 10);
    if (end != val && !*end) obs_put(b, vm_keys[k], v, first);
  }
  if (proc_vm_kb >= 0) obs_put(b, "process_vm_kb", proc_vm_kb, first);
  if (proc_acct_kb >= 0) obs_put(b, "process_accounted_kb", proc_acct_kb, first);
  if (proc_acct_low_kb >= 0) obs_put(b, "process_accounted_low_kb", proc_acct_low_kb, first);
  obs_put(b, "hugepages_others", pool_offset() > 0 ? pool_offset() : 0, first);
}

const probe_mechanism overcommit_mechanism = {
    .name = "overcommit", .open = overcommit_open, .observe = overcommit_observe, .session = overcommit_session,
    .op = overcommit_op, .polluted = pool_polluted};
