/* ops.c - the "abi" ops of the ksm mechanism (spec/mechanisms/ksm/mechanism.schema.json)
 * on a real kernel. Sizes and offsets are 4 KiB pages.
 *
 * ksmd is made deterministic: a session starts from run=2 (everything unmerged, every
 * rmap item freed, full_scans 0) with ksmd stopped (run=0), and ksmd runs only inside a
 * settle, for exactly the passes asked. The relay keeps one never-touched mergeable page
 * registered (no rmap item ever), so ksmd's list is never empty and every pass completes.
 * Each mapping of a process is placed above its earlier ones, apart from them, with huge
 * pages kept away: ksmd meets a process's mappings in the order they were made.
 *
 * The global counters are the machine's: after each settle the rmap items of this
 * session's processes (its process group) are compared with the machine's, and a settle
 * that scanned pages of other processes is answered as unsupported (a polluted run), never
 * as a result. A session process never allocates from the heap: its buffers are a scratch
 * mapping made before any step (kept out of merging).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

#ifndef MADV_MERGEABLE
#define MADV_MERGEABLE 12
#define MADV_UNMERGEABLE 13
#endif
#ifndef MADV_NOHUGEPAGE
#define MADV_NOHUGEPAGE 15
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#define PR_GET_MEMORY_MERGE 68
#endif

#define KSM_DIR "/sys/kernel/mm/ksm/"
/* Where a process's first mapping goes, and the unmapped gap kept after each (bytes). */
#define MAP_BASE 0x200000000000UL
#define MAP_GAP (2UL << 20)
/* The scratch mapping: the observation's text, then room for the KSM page frames of a mapping. */
#define TEXT_CAP 60000
#define PFN_CAP 262144
#define SCRATCH_BYTES (65536 + PFN_CAP * 8UL)

static uintptr_t next_addr = MAP_BASE;
static char *scratch; /* made in the session's main process, inherited by its children */

/* ---- argument and list helpers (word lists as one string: no pointer tables to relocate,
 * so the program's writable memory stays as it was) ---- */

/* Whether word is one of the space-separated words of list. */
static int in_list(const char *word, const char *list) {
  size_t n = strlen(word);
  for (const char *p = list; *p;) {
    const char *e = strchr(p, ' ');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == n && !strncmp(p, word, n)) return 1;
    if (!e) break;
    p = e + 1;
  }
  return 0;
}

/* args_check_keys with the allowed keys as a word list. */
static int check_keys(const jval *args, const char *allowed, step_res *r) {
  for (const jval *m = args->child; m; m = m->next)
    if (!in_list(m->key, allowed)) {
      res_error(r, "unsupported", "argument '%.64s' is not supported", m->key);
      return -1;
    }
  return 0;
}

/* ---- sysfs files ---- */

static int ksm_path(char *out, size_t cap, const char *name) {
  return snprintf(out, cap, KSM_DIR "%s", name) >= (int)cap ? -1 : 0;
}

static int ksm_exists(const char *name) {
  char p[128];
  return !ksm_path(p, sizeof p, name) && !access(p, F_OK);
}

/* Reads /sys/kernel/mm/ksm/NAME into out (value_read); 0 or an errno. */
static int ksm_read(const char *name, char *out, size_t cap) {
  char p[128];
  return ksm_path(p, sizeof p, name) ? ENAMETOOLONG : value_read(p, out, cap);
}

/* A counter or knob as a number; -1 with *ok 0 when absent. */
static long ksm_long(const char *name, int *ok) {
  char v[64];
  *ok = !ksm_read(name, v, sizeof v);
  return *ok ? strtol(v, NULL, 10) : -1;
}

static int ksm_write(const char *name, const char *val) {
  char p[128];
  return ksm_path(p, sizeof p, name) ? ENAMETOOLONG : value_write(p, val);
}

/* ---- the relay: open, observe, end ---- */

/* The session's value of each knob a config leaves out: the kernel's defaults (never pruning by time). */
static const struct {
  char name[40];
  long def;
} knob_table[] = {{"max_page_sharing", 256},  {"merge_across_nodes", 1},
                  {"use_zero_pages", 0},      {"pages_to_scan", 100},
                  {"sleep_millisecs", 20},    {"stable_node_chains_prune_millisecs", 3600000},
                  {"smart_scan", 1}};
#define NKNOBS (sizeof knob_table / sizeof *knob_table)

/* The relay's own never-touched mergeable page: ksmd's list is never empty. */
static int keepalive(void) {
  static int done;
  if (done) return 0;
  void *p = mmap(NULL, PROBE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return errno;
  if (madvise(p, PROBE_PAGE, MADV_MERGEABLE)) return errno;
  done = 1;
  return 0;
}

static int ksm_open(const jval *cfg, sbuf *res, rpc_err *e) {
  static const char cfg_keys[] = "max_page_sharing merge_across_nodes use_zero_pages pages_to_scan sleep_millisecs "
                                 "stable_node_chains_prune_millisecs smart_scan advisor_mode";
  for (const jval *m = cfg->child; m; m = m->next) {
    if (!strcmp(m->key, "machine")) {
      if (m->t != J_OBJ) return relay_fail(e, "invalid", "config.machine must be an object");
      if (m->child) return relay_skip(res, "a real kernel cannot take machine facts", 0);
      continue;
    }
    if (!in_list(m->key, cfg_keys)) return relay_fail(e, "invalid", "unknown config field '%.64s'", m->key);
    if (!strcmp(m->key, "advisor_mode")) {
      if (m->t != J_STR || (strcmp(m->s, "none") && strcmp(m->s, "scan-time")))
        return relay_fail(e, "invalid", "config.advisor_mode must be none or scan-time");
    } else if (m->t != J_NUM || !m->is_int || m->i < 0) {
      return relay_fail(e, "invalid", "config.%s must be a non-negative integer", m->key);
    }
  }
  if (!ksm_exists("run")) return relay_skip(res, "this kernel has no KSM (no /sys/kernel/mm/ksm: CONFIG_KSM is off)", 1);
  for (const jval *m = cfg->child; m; m = m->next)
    if (strcmp(m->key, "machine") && !ksm_exists(m->key)) {
      char why[160];
      snprintf(why, sizeof why, "this kernel has no /sys/kernel/mm/ksm/%.64s", m->key);
      return relay_skip(res, why, 1);
    }
  if (!relay_privileged(res)) return 0;
  char run[16];
  if (!relay_disposable() && !ksm_read("run", run, sizeof run) && !strcmp(run, "1"))
    return relay_skip(res, "ksmd is running on this machine (run=1): its merged pages are others'; stop it first", 0);
  int err = keepalive();
  if (err) {
    char why[120];
    snprintf(why, sizeof why, "cannot keep a mergeable area registered: %s", errno_name(err));
    return relay_skip(res, why, 0);
  }
  if (relay_save_knobs(res)) return 0;
  if (relay_spawn("{\"ksm\":true}", e)) return -1;
  /* A clean slate: every KSM page unmerged, every rmap item gone, full_scans 0. */
  if ((err = ksm_write("run", "2"))) {
    char why[120];
    snprintf(why, sizeof why, "cannot write run=2: %s", errno_name(err));
    relay_end_session();
    return relay_skip(res, why, 0);
  }
  const jval *adv = json_get(cfg, "advisor_mode");
  if (ksm_exists("advisor_mode")) {
    const char *mode = adv ? adv->s : "none";
    if ((err = ksm_write("advisor_mode", mode))) {
      char why[120];
      snprintf(why, sizeof why, "cannot set advisor_mode=%s: %s", mode, errno_name(err));
      relay_end_session();
      return relay_skip(res, why, 0);
    }
  }
  for (size_t k = 0; k < NKNOBS; k++) {
    const jval *v = json_get(cfg, knob_table[k].name);
    if (!v && !ksm_exists(knob_table[k].name)) continue; /* a knob this kernel lacks */
    /* The scan-time advisor sets pages_to_scan itself, and refuses a write. */
    if (!v && adv && !strcmp(adv->s, "scan-time") && !strcmp(knob_table[k].name, "pages_to_scan")) continue;
    char name[64];
    snprintf(name, sizeof name, "ksm_%.40s", knob_table[k].name);
    if (relay_apply_knob(name, v ? v->i : knob_table[k].def, res)) return 0;
  }
  if ((err = ksm_write("run", "0"))) {
    relay_end_session();
    return relay_skip(res, "cannot write run=0", 0);
  }
  static const char counters[][24] = {"pages_shared",       "pages_sharing",    "pages_unshared", "pages_volatile",
                                      "stable_node_chains", "stable_node_dups", "ksm_zero_pages", "full_scans"};
  for (size_t k = 0; k < sizeof counters / sizeof *counters; k++) {
    int ok;
    long v = ksm_long(counters[k], &ok);
    if (ok && v) {
      char why[200];
      snprintf(why, sizeof why, "KSM state remains after run=2 (%.24s %ld): other processes hold KSM pages", counters[k], v);
      relay_end_session();
      return relay_skip(res, why, 0);
    }
  }
  return relay_open_session(res);
}

/* /proc/vmstat's line for key, or -1. */
static long vmstat_field(const char *key) {
  char buf[16384];
  if (!read_whole("/proc/vmstat", buf, sizeof buf)) return -1;
  size_t kl = strlen(key);
  for (char *line = buf; *line;) {
    if (!strncmp(line, key, kl) && line[kl] == ' ') return strtol(line + kl + 1, NULL, 10);
    char *nl = strchr(line, '\n');
    if (!nl) break;
    line = nl + 1;
  }
  return -1;
}

static void ksm_observe(sbuf *b, int *first) {
  static const char fields[][40] = {"pages_shared",     "pages_sharing",     "pages_unshared", "pages_volatile",
                                    "stable_node_chains", "stable_node_dups", "full_scans",     "ksm_zero_pages",
                                    "general_profit",   "pages_scanned",     "pages_skipped",  "run",
                                    "max_page_sharing", "use_zero_pages",    "merge_across_nodes", "smart_scan",
                                    "pages_to_scan",    "sleep_millisecs",   "stable_node_chains_prune_millisecs"};
  for (size_t k = 0; k < sizeof fields / sizeof *fields; k++) {
    int ok;
    long v = ksm_long(fields[k], &ok);
    if (ok) obs_put(b, fields[k], v, first);
  }
  long cow = vmstat_field("cow_ksm");
  if (cow >= 0) obs_put(b, "cow_ksm", cow, first);
  char mode[32];
  if (!ksm_read("advisor_mode", mode, sizeof mode)) {
    sb_puts(b, *first ? "\"advisor_mode\":" : ",\"advisor_mode\":");
    sb_jstrz(b, mode);
    *first = 0;
  }
}

/* The session is over: unmerge what its processes left (their rmap items, stable nodes), so
 * the machine's counters read as before. The knobs are put back next. */
static void ksm_end(void) {
  ksm_write("run", "2");
}

/* ---- a session process ---- */

static void errno_res(step_res *r, int e) {
  r->kind = RES_ERRNO;
  r->err = e;
}

static void ksm_session(const jval *params) {
  (void)params;
  /* A process group of the session's processes: what a settle counts as its own. */
  setpgid(0, 0);
  void *p = mmap(NULL, SCRATCH_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p != MAP_FAILED) scratch = p;
}

static void op_mmap(const jval *args, step_res *r) {
  static const char keys[] = "as pages shared";
  unsigned long long pages;
  int shared;
  if (check_keys(args, keys, r)) return;
  const char *as = arg_str(args, "as", 1, NULL, r);
  if (!as || arg_uint(args, "pages", 1, 0, &pages, r) || arg_bool(args, "shared", 0, &shared, r)) return;
  if (!pages || pages > (1ULL << 30)) {
    res_error(r, "invalid", "pages must be 1 to 2^30");
    return;
  }
  mapping *m = map_add(as, r);
  if (!m) return;
  size_t len = (size_t)pages * PROBE_PAGE;
  void *p = mmap((void *)next_addr, len, PROT_READ | PROT_WRITE,
                 (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (p == MAP_FAILED) {
    int e = errno;
    map_remove(m);
    errno_res(r, e);
    return;
  }
  if (p != (void *)next_addr) {
    munmap(p, len);
    map_remove(m);
    res_error(r, "internal", "the kernel placed a mapping at %p, not at %p", p, (void *)next_addr);
    return;
  }
  madvise(p, len, MADV_NOHUGEPAGE);
  next_addr = (next_addr + len + MAP_GAP + MAP_GAP - 1) & ~(MAP_GAP - 1);
  m->addr = p;
  m->len = len;
}

/* The content pattern of a fill: every byte `value`, or 8 bytes of tag then 0x5a. */
static void fill_page(char *p, const char *pattern, unsigned long long value, unsigned long long index) {
  if (!strcmp(pattern, "zero")) {
    memset(p, 0, PROBE_PAGE);
  } else if (!strcmp(pattern, "byte")) {
    memset(p, (int)(value & 0xff), PROBE_PAGE);
  } else {
    uint64_t tag = value * 65536ULL + index;
    memset(p + 8, 0x5a, PROBE_PAGE - 8);
    for (int b = 0; b < 8; b++) p[b] = (char)(tag >> (56 - 8 * b));
  }
}

/* One write fault on a page, caught: 0, or the signal (with r filled). */
static int fault_page(char *p, step_res *r) {
  int code = 0, sig = touch_range(p, 1, PROBE_PAGE, 1, &code);
  if (sig) {
    r->kind = RES_SIGNAL;
    r->sig = sig;
    r->code = code;
  }
  return sig;
}

static void op_fill(const jval *args, step_res *r) {
  static const char keys[] = "map offset pages pattern value period";
  size_t off, len;
  unsigned long long value, period;
  if (check_keys(args, keys, r)) return;
  mapping *m = need_map(args, r);
  if (!m || map_range(m, args, 1, &off, &len, r)) return;
  const char *pattern = arg_str(args, "pattern", 1, NULL, r);
  if (!pattern || arg_uint(args, "value", 0, 0, &value, r) || arg_uint(args, "period", 0, 0, &period, r)) return;
  if (strcmp(pattern, "zero") && strcmp(pattern, "byte") && strcmp(pattern, "unique")) {
    res_error(r, "invalid", "pattern must be zero, byte or unique");
    return;
  }
  if ((!strcmp(pattern, "byte") && value > 255) || value > 65535) {
    res_error(r, "invalid", "value out of range for pattern %s", pattern);
    return;
  }
  for (size_t at = off; at < off + len; at += PROBE_PAGE) {
    char *p = m->addr + at;
    /* The first byte's write takes the fault (a copy of a shared or KSM page, or a new page);
     * the rest of the page then goes into the page it got. */
    if (fault_page(p, r)) return;
    unsigned long long index = at / PROBE_PAGE;
    fill_page(p, pattern, value, period ? index % period : index);
  }
}

static void op_write(const jval *args, step_res *r) {
  static const char keys[] = "map offset value";
  unsigned long long off, value;
  if (check_keys(args, keys, r)) return;
  mapping *m = need_map(args, r);
  if (!m || arg_uint(args, "offset", 1, 0, &off, r) || arg_uint(args, "value", 1, 0, &value, r)) return;
  if (off >= m->len / PROBE_PAGE || value > 255) {
    res_error(r, "invalid", "offset past mapping '%s' or value not a byte", m->name);
    return;
  }
  char *p = m->addr + off * PROBE_PAGE;
  if (fault_page(p, r)) return;
  p[0] = (char)value;
}

static void op_read(const jval *args, step_res *r) {
  static const char keys[] = "map offset pages";
  size_t off, len;
  int code = 0;
  if (check_keys(args, keys, r)) return;
  mapping *m = need_map(args, r);
  if (!m || map_range(m, args, 1, &off, &len, r)) return;
  int sig = touch_range(m->addr + off, len / PROBE_PAGE, PROBE_PAGE, 0, &code);
  if (sig) {
    r->kind = RES_SIGNAL;
    r->sig = sig;
    r->code = code;
  }
}

static void op_madvise(const jval *args, step_res *r) {
  static const char keys[] = "map offset pages advice";
  size_t off, len;
  if (check_keys(args, keys, r)) return;
  mapping *m = need_map(args, r);
  if (!m || map_range(m, args, 1, &off, &len, r)) return;
  const char *advice = arg_str(args, "advice", 1, NULL, r);
  if (!advice) return;
  int a = !strcmp(advice, "mergeable") ? MADV_MERGEABLE : !strcmp(advice, "unmergeable") ? MADV_UNMERGEABLE : -1;
  if (a < 0) {
    res_error(r, "invalid", "advice must be mergeable or unmergeable");
    return;
  }
  if (len && madvise(m->addr + off, len, a)) errno_res(r, errno);
}

static void op_munmap(const jval *args, step_res *r) {
  static const char keys[] = "map offset pages";
  size_t off, len;
  if (check_keys(args, keys, r)) return;
  mapping *m = need_map(args, r);
  if (!m || map_range(m, args, 1, &off, &len, r)) return;
  if (len && munmap(m->addr + off, len)) errno_res(r, errno);
  else if (off == 0 && len == m->len) map_remove(m);
}

/* Whether [s, e) lies where the scenario's mappings go (nothing else is placed there). */
static int in_scenario(uintptr_t s, uintptr_t e) {
  return s >= MAP_BASE && e <= next_addr;
}

/* After PR_SET_MEMORY_MERGE made every compatible mapping of the process mergeable, the
 * harness's own (its program, libraries, stack, scratch) are made unmergeable again: only
 * the scenario's mappings are the scenario's. */
static void unmergeable_take(const char *line, void *ctx) {
  (void)ctx;
  uintptr_t s, e;
  if (vma_header(line, &s, &e) && e > s && !in_scenario(s, e)) madvise((void *)s, e - s, MADV_UNMERGEABLE);
}

static void own_unmergeable(void) { each_line("/proc/self/maps", unmergeable_take, NULL); }

static void op_set_memory_merge(const jval *args, step_res *r) {
  static const char keys[] = "value";
  unsigned long long v;
  if (check_keys(args, keys, r) || arg_uint(args, "value", 1, 0, &v, r)) return;
  if (prctl(PR_SET_MEMORY_MERGE, (unsigned long)v, 0UL, 0UL, 0UL)) {
    errno_res(r, errno);
    return;
  }
  if (v) own_unmergeable();
}

static void op_get_memory_merge(const jval *args, step_res *r) {
  
  if (check_keys(args, "", r)) return;
  int v = prctl(PR_GET_MEMORY_MERGE, 0UL, 0UL, 0UL, 0UL);
  if (v < 0) errno_res(r, errno);
  else r->value = v, r->has_value = 1;
}

static void op_ksm_set(const jval *args, step_res *r) {
  static const char keys[] = "name value";
  static const char names[] = "run max_page_sharing use_zero_pages merge_across_nodes smart_scan pages_to_scan "
                              "sleep_millisecs stable_node_chains_prune_millisecs advisor_mode";
  if (check_keys(args, keys, r)) return;
  const char *name = arg_str(args, "name", 1, NULL, r);
  const jval *v = json_get(args, "value");
  if (!name) return;
  if (!in_list(name, names)) {
    res_error(r, "invalid", "'%.64s' is not a knob of ksm_set", name);
    return;
  }
  char val[40];
  if (v && v->t == J_NUM && v->is_int && v->i >= 0) snprintf(val, sizeof val, "%lld", v->i);
  else if (v && v->t == J_STR && v->slen < sizeof val) snprintf(val, sizeof val, "%s", v->s);
  else {
    res_error(r, "invalid", "value must be a non-negative integer or a short string");
    return;
  }
  if (!strcmp(name, "run") && !strcmp(val, "1")) {
    res_error(r, "invalid", "ksmd runs only inside settle: run=1 is settle");
    return;
  }
  if (!ksm_exists(name)) {
    res_error(r, "unsupported", "this kernel has no /sys/kernel/mm/ksm/%s", name);
    return;
  }
  int e = ksm_write(name, val);
  if (e) errno_res(r, e);
}

static void op_unmerge_all(const jval *args, step_res *r) {
  
  if (check_keys(args, "", r)) return;
  int e = ksm_write("run", "2");
  if (e) errno_res(r, e);
}

/* ---- processes, by /proc ---- */

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

/* Reads a small /proc file into out; its length, or -1. */
static ssize_t read_small(const char *path, char *out, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n;
  do n = read(fd, out, cap - 1);
  while (n < 0 && errno == EINTR);
  close(fd);
  if (n >= 0) out[n] = 0;
  return n;
}

/* Calls fn for each process: its pid, state, process group and comm. */
static void each_process(void (*fn)(long pid, char state, long pgrp, const char *comm, void *ctx), void *ctx) {
  int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[8192];
  for (;;) {
    long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (n <= 0) break;
    for (long at = 0; at < n;) {
      struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + at);
      at += d->d_reclen;
      if (d->d_name[0] < '1' || d->d_name[0] > '9') continue;
      char path[64], st[512];
      snprintf(path, sizeof path, "/proc/%s/stat", d->d_name);
      if (read_small(path, st, sizeof st) <= 0) continue;
      char *lp = strchr(st, '('), *rp = strrchr(st, ')');
      if (!lp || !rp || rp[1] != ' ') continue;
      *rp = 0;
      char state = rp[2];
      long ppid, pgrp;
      if (sscanf(rp + 4, "%ld %ld", &ppid, &pgrp) != 2) continue;
      fn(atol(d->d_name), state, pgrp, lp + 1, ctx);
    }
  }
  close(fd);
}

static void find_ksmd(long pid, char state, long pgrp, const char *comm, void *ctx) {
  (void)state, (void)pgrp;
  if (!strcmp(comm, "ksmd")) *(long *)ctx = pid;
}

/* ksmd's state letter (S: waiting), or 0. */
static char ksmd_state(void) {
  static long pid;
  if (!pid) each_process(find_ksmd, &pid);
  if (!pid) return 0;
  char path[64], st[512];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  if (read_small(path, st, sizeof st) <= 0) return 0;
  char *rp = strrchr(st, ')');
  return rp && rp[1] == ' ' ? rp[2] : 0;
}

/* A value of /proc/<pid>/ksm_stat ("name value" or "name: yes|no", yes as 1); 0 when the
 * line is there, -1 when it is not. */
static int ksm_stat_field(const char *text, const char *name, long *out) {
  size_t nl = strlen(name);
  for (const char *line = text; line && *line;) {
    if (!strncmp(line, name, nl) && (line[nl] == ' ' || line[nl] == ':')) {
      const char *v = line + nl + 1;
      while (*v == ' ') v++;
      *out = !strncmp(v, "yes", 3) ? 1 : !strncmp(v, "no", 2) ? 0 : strtol(v, NULL, 10);
      return 0;
    }
    line = strchr(line, '\n');
    if (line) line++;
  }
  return -1;
}

struct own_count {
  long pgrp, items, zero;
};

static void count_own(long pid, char state, long pgrp, const char *comm, void *ctx) {
  (void)state, (void)comm;
  struct own_count *c = ctx;
  if (pgrp != c->pgrp) return;
  char path[64], text[1024];
  snprintf(path, sizeof path, "/proc/%ld/ksm_stat", pid);
  if (read_small(path, text, sizeof text) <= 0) return;
  long items, zero;
  if (!ksm_stat_field(text, "ksm_rmap_items", &items)) c->items += items;
  if (!ksm_stat_field(text, "ksm_zero_pages", &zero)) c->zero += zero;
}

/* ---- settle ---- */

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static void nap(long us) {
  struct timespec t = {0, us * 1000L};
  nanosleep(&t, NULL);
}

/* Exactly `scans` passes of ksmd, then ksmd stopped. While it runs, a batch is a whole pass
 * (pages_to_scan at its most) and its sleep between batches is long, so it stops after each
 * pass until it is woken by a change of sleep_millisecs: the passes are counted, never
 * overrun. A wake that came before it read the sleep is noticed (ksmd waits and full_scans
 * stays) and repeated. */
static void op_settle(const jval *args, step_res *r) {
  static const char keys[] = "scans";
  unsigned long long scans;
  if (check_keys(args, keys, r) || arg_uint(args, "scans", 1, 0, &scans, r)) return;
  if (!scans || scans > 64) {
    res_error(r, "invalid", "scans must be 1 to 64");
    return;
  }
  char mode[32], pages[32], sleep_ms[32];
  if (!ksm_read("advisor_mode", mode, sizeof mode) && strcmp(mode, "none")) {
    res_error(r, "unsupported", "a settle under the scan-time advisor: pages_to_scan would follow the time passes take");
    return;
  }
  int ok;
  long f0 = ksm_long("full_scans", &ok);
  if (!ok || ksm_read("pages_to_scan", pages, sizeof pages) || ksm_read("sleep_millisecs", sleep_ms, sizeof sleep_ms)) {
    res_error(r, "internal", "cannot read /sys/kernel/mm/ksm");
    return;
  }
  /* The long sleep differs from the one ksmd may still be waiting out since the last settle
   * (it compares the two when woken): the write wakes it. */
  long poke = 60000 + 2 * ((f0 + getpid()) % 5000);
  char lv[16];
  snprintf(lv, sizeof lv, "%ld", poke);
  int e = ksm_write("pages_to_scan", "4294967295");
  if (!e) e = ksm_write("sleep_millisecs", lv);
  if (!e) e = ksm_write("run", "1");
  const char *failed = NULL;
  long deadline = now_ms() + 300000;
  for (unsigned long long i = 1; !e && !failed && i <= scans; i++) {
    long polls = 0, asleep = 0;
    for (;;) {
      long f = ksm_long("full_scans", &ok);
      if (!ok) failed = "full_scans unreadable";
      else if (f >= f0 + (long)i) break;
      else if (now_ms() > deadline) failed = "ksmd did not complete its passes within 300 s";
      if (failed) break;
      nap(polls++ < 20 ? 200 : 1000);
      /* ksmd waiting for 30 ms while the pass is not done: the wake came before it read its
       * sleep, so it waits the long one. Wake it again. */
      if (ksmd_state() != 'S') asleep = 0;
      else if (!asleep) asleep = now_ms();
      else if (now_ms() - asleep >= 30) {
        char v[16];
        snprintf(v, sizeof v, "%ld", poke ^= 1);
        ksm_write("sleep_millisecs", v);
        asleep = 0;
      }
    }
    if (!failed && i < scans) {
      char v[16];
      snprintf(v, sizeof v, "%ld", poke ^= 1);
      ksm_write("sleep_millisecs", v); /* the next pass */
    }
  }
  ksm_write("run", "0");
  ksm_write("sleep_millisecs", sleep_ms);
  ksm_write("pages_to_scan", pages);
  if (e) {
    errno_res(r, e);
    return;
  }
  long f = ksm_long("full_scans", &ok);
  if (failed || f != f0 + (long)scans) {
    res_error(r, "internal", "settle of %llu passes: %s (full_scans %ld to %ld)", scans, failed ? failed : "ksmd ran another number of passes", f0, f);
    return;
  }
  /* Every rmap item on the machine must be the session's: else ksmd scanned others' pages. */
  long items = 0, v;
  static const char parts[][16] = {"pages_shared", "pages_sharing", "pages_unshared", "pages_volatile"};
  for (size_t k = 0; k < sizeof parts / sizeof *parts; k++)
    if ((v = ksm_long(parts[k], &ok)) > 0) items += v;
  struct own_count own = {getpgrp(), 0, 0};
  each_process(count_own, &own);
  long zero = ksm_long("ksm_zero_pages", &ok);
  /* (Kernels before 6.6 give a forked child a copy of its parent's counts: the session's may
   * read high, never low.) */
  if (items > own.items || (ok && zero > own.zero))
    res_error(r, "unsupported",
              "a polluted run: ksmd scanned pages of other processes (%ld rmap items on the machine, %ld this "
              "session's; %ld KSM zero pages, %ld this session's)",
              items, own.items, ok ? zero : 0, own.zero);
}

/* ---- this process's observation ---- */

/* Sorts in place (heapsort): the C library's qsort takes a buffer from the heap for more than
 * 1 KiB, and a heap made after PR_SET_MEMORY_MERGE is a mergeable VMA ksmd would scan. */
static void sort_pfns(uint64_t *a, size_t n) {
  for (size_t end = n, start = n / 2; end > 1;) {
    if (start > 0) start--;
    else {
      uint64_t t = a[0];
      a[0] = a[--end];
      a[end] = t;
    }
    for (size_t root = start, child; (child = 2 * root + 1) < end; root = child) {
      if (child + 1 < end && a[child + 1] > a[child]) child++;
      if (a[root] >= a[child]) break;
      uint64_t t = a[root];
      a[root] = a[child];
      a[child] = t;
    }
  }
}

static uint64_t pread_u64(int fd, uint64_t index) {
  uint64_t v = 0;
  if (pread(fd, &v, sizeof v, (off_t)(index * 8)) != (ssize_t)sizeof v) return 0;
  return v;
}

#define KPF_KSM 21
#define KPF_ZERO_PAGE 24

/* Of a named mapping: present pages, KSM pages, zero pages, distinct KSM pages and how many
 * virtual pages map each (kpagecount), from pagemap and kpageflags. */
static void region_fields(sbuf *b, int *first, const char *proc, const mapping *m, int pm, int kf, int kc) {
  uint64_t *pfns = (uint64_t *)(scratch + 65536);
  size_t npfn = 0;
  long present = 0, ksm = 0, zero = 0;
  uint64_t ent[512];
  size_t pages = m->len / PROBE_PAGE, first_page = (uintptr_t)m->addr / PROBE_PAGE;
  for (size_t at = 0; at < pages; at += 512) {
    size_t n = pages - at < 512 ? pages - at : 512;
    ssize_t got = pread(pm, ent, n * 8, (off_t)((first_page + at) * 8));
    if (got != (ssize_t)(n * 8)) break;
    for (size_t j = 0; j < n; j++) {
      if (!(ent[j] >> 63 & 1)) continue;
      present++;
      uint64_t pfn = ent[j] & ((1ULL << 55) - 1), flags = pread_u64(kf, pfn);
      if (flags >> KPF_ZERO_PAGE & 1) zero++;
      else if (flags >> KPF_KSM & 1) {
        ksm++;
        if (npfn < PFN_CAP) pfns[npfn++] = pfn;
      }
    }
  }
  sort_pfns(pfns, npfn);
  /* kpagecount of each distinct KSM page, then "MxN" by ascending M. */
  long distinct = 0;
  uint64_t counts[64];
  long howmany[64];
  int nc = 0;
  for (size_t j = 0; j < npfn; j++) {
    if (j && pfns[j] == pfns[j - 1]) continue;
    distinct++;
    uint64_t c = pread_u64(kc, pfns[j]);
    int k = 0;
    while (k < nc && counts[k] != c) k++;
    if (k == nc && nc < 64) counts[nc] = c, howmany[nc++] = 0;
    if (k < nc) howmany[k]++;
  }
  const char *sep = *first ? "" : ",";
  *first = 0;
  sb_printf(b, "%s\"%s.%s.present\":%ld,\"%s.%s.ksm\":%ld,\"%s.%s.zero\":%ld,\"%s.%s.ksm_pages\":%ld,\"%s.%s.sharing\":\"", sep,
            proc, m->name, present, proc, m->name, ksm, proc, m->name, zero, proc, m->name, distinct, proc, m->name);
  for (int done = 0; done < nc; done++) {
    int min = -1;
    for (int k = 0; k < nc; k++)
      if (howmany[k] >= 0 && (min < 0 || counts[k] < counts[min])) min = k;
    sb_printf(b, "%s%llux%ld", done ? " " : "", (unsigned long long)counts[min], howmany[min]);
    howmany[min] = -1;
  }
  sb_putc(b, '"');
}

static const char *ksm_proc_observe(const char *proc, size_t *len) {
  *len = 0;
  if (!scratch || !proc) return "";
  sbuf b;
  sb_init_fixed(&b, scratch, TEXT_CAP);
  char text[1024];
  int first = 1;
  if (read_small("/proc/self/ksm_stat", text, sizeof text) > 0) {
    static const char names[][20] = {"ksm_rmap_items", "ksm_zero_pages", "ksm_process_profit", "ksm_merge_any",
                                     "ksm_mergeable"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
      long v;
      if (ksm_stat_field(text, names[k], &v)) continue;
      sb_printf(&b, "%s\"%s.%s\":%ld", first ? "" : ",", proc, names[k], v);
      first = 0;
    }
  }
  if (read_small("/proc/self/ksm_merging_pages", text, sizeof text) > 0) {
    sb_printf(&b, "%s\"%s.ksm_merging_pages\":%ld", first ? "" : ",", proc, strtol(text, NULL, 10));
    first = 0;
  }
  int merge = prctl(PR_GET_MEMORY_MERGE, 0UL, 0UL, 0UL, 0UL);
  if (merge >= 0) {
    sb_printf(&b, "%s\"%s.memory_merge\":%d", first ? "" : ",", proc, merge);
    first = 0;
  }
  int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC), kf = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC),
      kc = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
  if (pm >= 0 && kf >= 0 && kc >= 0)
    for (mapping *m = map_each(NULL); m; m = map_each(m)) region_fields(&b, &first, proc, m, pm, kf, kc);
  if (pm >= 0) close(pm);
  if (kf >= 0) close(kf);
  if (kc >= 0) close(kc);
  if (b.oflow) return "";
  *len = b.len;
  return scratch;
}

static int ksm_op(const char *op, const jval *args, step_res *r) {
  if (!strcmp(op, "mmap")) op_mmap(args, r);
  else if (!strcmp(op, "fill")) op_fill(args, r);
  else if (!strcmp(op, "write")) op_write(args, r);
  else if (!strcmp(op, "read")) op_read(args, r);
  else if (!strcmp(op, "madvise")) op_madvise(args, r);
  else if (!strcmp(op, "munmap")) op_munmap(args, r);
  else if (!strcmp(op, "set_memory_merge")) op_set_memory_merge(args, r);
  else if (!strcmp(op, "get_memory_merge")) op_get_memory_merge(args, r);
  else if (!strcmp(op, "ksm_set")) op_ksm_set(args, r);
  else if (!strcmp(op, "unmerge_all")) op_unmerge_all(args, r);
  else if (!strcmp(op, "settle")) op_settle(args, r);
  else return 0;
  return 1;
}

const probe_mechanism ksm_mechanism = {.name = "ksm",
                                       .open = ksm_open,
                                       .observe = ksm_observe,
                                       .session = ksm_session,
                                       .op = ksm_op,
                                       .end = ksm_end,
                                       .proc_observe = ksm_proc_observe};
