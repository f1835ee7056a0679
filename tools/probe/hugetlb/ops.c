/* ops_hugetlb.c - the "abi" ops of the hugetlb mechanism
 * (spec/mechanisms/hugetlb/mechanism.schema.json). Sizes and offsets are in
 * huge pages of the default size (Hugepagesize in /proc/meminfo). Besides the
 * mapping table (proc.c) a session process keeps two named tables here, which
 * a fork step's child inherits with the rest of its memory: the hugetlbfs
 * mounts it made and the files it opened (a file's descriptor is inherited
 * too, as fork does). fork and exit are handled by proc.c and the relay.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe.h"
#include "pool.h"

#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif

#define MAX_MOUNTS 16
#define MAX_FILES 64

typedef struct {
  char name[PROBE_NAME_MAX + 1];
  char path[384]; /* the session's mount prefix, the name, -XXXXXX */
  int used;
} hmount;

typedef struct {
  char name[PROBE_NAME_MAX + 1];
  char path[512]; /* a mount's path, /, the name, -XXXXXX; "" for a memfd */
  int fd;              /* -1 once closed */
  int used;
} hfile;

static hmount mounts[MAX_MOUNTS];
static hfile files[MAX_FILES];

/* Bytes per huge page of the default size; 0 when unknown. */
static size_t hpsize(void) {
  static size_t hs;
  if (!hs) {
    long kb = meminfo_field(meminfo_snapshot(), "Hugepagesize");
    if (kb > 0) hs = (size_t)kb * 1024;
  }
  return hs;
}

static int need_hpsize(size_t *hs, step_res *r) {
  *hs = hpsize();
  if (!*hs) {
    res_error(r, "internal", "no Hugepagesize in /proc/meminfo");
    return -1;
  }
  return 0;
}

/* pages huge pages in bytes, saturated (the kernel then rejects the size). */
static size_t hp_bytes(unsigned long long pages, size_t hs) {
  if (pages > SIZE_MAX / hs) return SIZE_MAX & ~(hs - 1);
  return (size_t)pages * hs;
}

/* An offset in bytes for off_t: saturated at the largest multiple of hs. */
static off_t hp_off(unsigned long long pages, size_t hs) {
  unsigned long long max = (unsigned long long)INT64_MAX / hs;
  return (off_t)((pages > max ? max : pages) * hs);
}

static void errno_res(step_res *r, int e) {
  r->kind = RES_ERRNO;
  r->err = e;
}

static hmount *mount_find(const char *name) {
  for (int k = 0; k < MAX_MOUNTS; k++)
    if (mounts[k].used && !strcmp(mounts[k].name, name)) return &mounts[k];
  return NULL;
}

static hfile *file_find(const char *name) {
  for (int k = 0; k < MAX_FILES; k++)
    if (files[k].used && !strcmp(files[k].name, name)) return &files[k];
  return NULL;
}

static hmount *need_mount(const jval *args, step_res *r) {
  const char *name = arg_str(args, "mount", 1, NULL, r);
  if (!name) return NULL;
  hmount *m = mount_find(name);
  if (!m) res_error(r, "invalid", "no mount named '%.64s' in this process", name);
  return m;
}

static hfile *need_file(const jval *args, const char *key, step_res *r) {
  const char *name = arg_str(args, key, 1, NULL, r);
  if (!name) return NULL;
  hfile *f = file_find(name);
  if (!f) res_error(r, "invalid", "no file named '%.64s' in this process", name);
  return f;
}

/* A free slot for a new name in a table, or NULL with r filled. */
static hfile *file_slot(const char *as, step_res *r) {
  if (!valid_name(as)) {
    res_error(r, "invalid", "bad file name '%.64s'", as);
    return NULL;
  }
  if (file_find(as)) {
    res_error(r, "invalid", "file '%s' already exists in this process", as);
    return NULL;
  }
  for (int k = 0; k < MAX_FILES; k++)
    if (!files[k].used) return &files[k];
  res_error(r, "unsupported", "more than %d files in one process", MAX_FILES);
  return NULL;
}

/* ---- the relay: open and observe ---- */

static int is_one_of(const char *s, const char *const *list) {
  for (; *list; list++)
    if (!strcmp(s, *list)) return 1;
  return 0;
}

/* NUMA nodes with memory (/sys/devices/system/node/has_memory, a list such as "0-1,3"): the
 * nodes huge pages are spread over. A kernel without NUMA has one. Read once: every
 * observation reports it, and it does not change while the machine runs. */
static long numa_nodes(void) {
  static long count;
  char buf[256];
  if (count) return count;
  if (!read_whole("/sys/devices/system/node/has_memory", buf, sizeof buf)) return count = 1;
  for (char *p = buf; *p && *p != '\n';) {
    char *end;
    long lo = strtol(p, &end, 10), hi = lo;
    if (end == p) break;
    if (*end == '-') hi = strtol(end + 1, &end, 10);
    count += hi - lo + 1;
    p = *end == ',' ? end + 1 : end;
  }
  return count > 0 ? count : (count = 1);
}

static int hugetlb_open(const jval *cfg, sbuf *res, rpc_err *e) {
  static const char *const cfg_keys[] = {"nr_hugepages", "nr_overcommit_hugepages", "machine",
                                         "needs_disposable_machine", NULL};
  long long pool = 0, over = 0;
  for (const jval *m = cfg->child; m; m = m->next) {
    if (!is_one_of(m->key, cfg_keys)) return relay_fail(e, "invalid", "unknown config field '%.64s'", m->key);
    if (!strcmp(m->key, "machine") || !strcmp(m->key, "needs_disposable_machine")) continue;
    if (m->t != J_NUM || !m->is_int || m->i < 0)
      return relay_fail(e, "invalid", "config.%s must be a non-negative integer", m->key);
    if (!strcmp(m->key, "nr_hugepages")) pool = m->i;
    else over = m->i;
  }
  const jval *disp = json_get(cfg, "needs_disposable_machine");
  if (disp && disp->t != J_BOOL) return relay_fail(e, "invalid", "config.needs_disposable_machine must be a boolean");
  const jval *machine = json_get(cfg, "machine");
  if (machine && machine->t != J_OBJ) return relay_fail(e, "invalid", "config.machine must be an object");

  const char *mi = meminfo_snapshot();
  long hps = meminfo_field(mi, "Hugepagesize");
  if (meminfo_field(mi, "HugePages_Total") < 0 || hps <= 0)
    return relay_skip(res, "this kernel has no huge page pool (no HugePages_Total in /proc/meminfo)", 1);
  if (!fs_supported("hugetlbfs")) return relay_skip(res, "hugetlbfs is not in /proc/filesystems", 1);
  /* The only machine facts a real kernel can honour are the ones it has. */
  long nodes = numa_nodes();
  for (const jval *m = machine ? machine->child : NULL; m; m = m->next) {
    if (!strcmp(m->key, "Hugepagesize") && m->t == J_NUM && m->is_int && m->i == hps) continue;
    if (!strcmp(m->key, "numa_nodes") && m->t == J_NUM && m->is_int && m->i == nodes) continue;
    char why[200];
    snprintf(why, sizeof why,
             "a real kernel cannot take machine facts (machine.%.40s; its Hugepagesize is %ld kB, numa_nodes %ld)",
             m->key, hps, nodes);
    return relay_skip(res, why, 0);
  }
  if (disp && disp->b && !relay_disposable())
    return relay_skip(res, "leaves a reservation no step can release: run it in a disposable guest (--impl qemu:…)", 0);
  if (!relay_privileged(res)) return 0;

  /* Pages others hold reserved stay out of the session's sight (pool.h); pages
   * others use cannot be hidden. */
  long offset = pool_foreign_reserved();
  if (offset < 0) {
    mi = meminfo_snapshot();
    char why[200];
    snprintf(why, sizeof why, "the huge page pool is in use by others (HugePages_Total %ld, Free %ld)",
             meminfo_field(mi, "HugePages_Total"), meminfo_field(mi, "HugePages_Free"));
    return relay_skip_polluted(res, why);
  }
  /* A disposable machine's leaked reservations are an earlier session's: a fresh boot has none,
   * and a session run beside them can meet the kernel's checks that count them. */
  if (offset > 0 && relay_disposable()) {
    char why[120];
    snprintf(why, sizeof why, "earlier sessions left %ld huge page reservations no step can release", offset);
    return relay_skip_polluted(res, why);
  }
  pool_set_offset(offset);
  sbuf params = {0};
  sb_putc(&params, '{');
  pool_params(&params);
  sb_putc(&params, '}');
  int rc = relay_save_knobs(res) ? 0 : relay_spawn(params.p, e);
  sb_free(&params);
  if (rc || res->len) return rc;
  if (relay_apply_knob("nr_overcommit_hugepages", over, res) || relay_apply_knob("nr_hugepages", pool + offset, res))
    return 0;
  /* The scenario starts from an idle pool: nothing else may hold or reserve its pages. */
  mi = meminfo_snapshot();
  long total = meminfo_field(mi, "HugePages_Total"), freep = meminfo_field(mi, "HugePages_Free"),
       rsvd = meminfo_field(mi, "HugePages_Rsvd"), surp = meminfo_field(mi, "HugePages_Surp");
  if (total != pool + offset || freep != pool + offset || rsvd != offset || surp != 0) {
    char why[200];
    snprintf(why, sizeof why,
             "the huge page pool is in use by others (HugePages_Total %ld, Free %ld, Rsvd %ld, Surp %ld with "
             "nr_hugepages %lld)",
             total, freep, rsvd, surp, pool);
    relay_end_session();
    return relay_skip_polluted(res, why);
  }
  return relay_open_session(res);
}

static void hugetlb_observe(sbuf *b, int *first) {
  static const char *const mi_keys[] = {"HugePages_Total", "HugePages_Free", "HugePages_Rsvd", "HugePages_Surp",
                                        "Hugepagesize", NULL};
  static const char *const vm_keys[] = {"nr_hugepages", "nr_overcommit_hugepages", NULL};
  const char *mi = meminfo_snapshot();
  for (size_t k = 0; mi_keys[k]; k++) {
    long v = pool_net(mi_keys[k], meminfo_field(mi, mi_keys[k]));
    if (v >= 0) obs_put(b, mi_keys[k], v, first); /* a count below 0 (a wrapped one) is left out */
  }
  for (size_t k = 0; vm_keys[k]; k++) {
    char val[32], *end;
    if (sysctl_read(vm_keys[k], val, sizeof val)) continue;
    long v = strtol(val, &end, 10);
    if (end != val && !*end && (v = pool_net(vm_keys[k], v)) >= 0) obs_put(b, vm_keys[k], v, first);
  }
  obs_put(b, "numa_nodes", numa_nodes(), first);
}

/* ---- a session process: the ops ---- */

static void op_sysctl(const jval *args, step_res *r) {
  static const char *const keys[] = {"name", "value", NULL};
  unsigned long long value;
  if (args_check_keys(args, keys, r)) return;
  const char *name = arg_str(args, "name", 1, NULL, r);
  if (!name || arg_uint(args, "value", 1, 0, &value, r)) return;
  if (strcmp(name, "nr_hugepages") && strcmp(name, "nr_overcommit_hugepages")) {
    res_error(r, "invalid", "sysctl '%.64s' is not one of the hugetlb knobs", name);
    return;
  }
  int e;
  if (!strcmp(name, "nr_hugepages")) {
    e = nr_hugepages_write(value, r);
  } else {
    char val[32];
    snprintf(val, sizeof val, "%llu", value);
    e = sysctl_write(name, val);
  }
  if (e) errno_res(r, e);
}

static void op_mount(const jval *args, step_res *r) {
  static const char *const keys[] = {"as", "size", "min_size", NULL};
  unsigned long long size, min_size;
  size_t hs;
  if (args_check_keys(args, keys, r) || need_hpsize(&hs, r)) return;
  const char *as = arg_str(args, "as", 1, NULL, r);
  if (!as || arg_uint(args, "size", 0, 0, &size, r) || arg_uint(args, "min_size", 0, 0, &min_size, r)) return;
  if (!valid_name(as)) {
    res_error(r, "invalid", "bad mount name '%.64s'", as);
    return;
  }
  if (mount_find(as)) {
    res_error(r, "invalid", "mount '%s' already exists in this process", as);
    return;
  }
  hmount *m = NULL;
  for (int k = 0; k < MAX_MOUNTS && !m; k++)
    if (!mounts[k].used) m = &mounts[k];
  if (!m) {
    res_error(r, "unsupported", "more than %d mounts in one process", MAX_MOUNTS);
    return;
  }
  if (!*session_mount_prefix()) {
    res_error(r, "internal", "no mount directory for this session");
    return;
  }
  /* mkdir -p the prefix's directory, then a fresh directory named after the session and the mount. */
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", session_mount_prefix());
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) *slash = 0;
  for (char *p = dir + 1;; p++) {
    if (*p == '/' || !*p) {
      char c = *p;
      *p = 0;
      if (mkdir(dir, 0700) && errno != EEXIST) {
        res_error(r, "internal", "mkdir %s: %s", dir, errno_name(errno));
        return;
      }
      *p = c;
      if (!c) break;
    }
  }
  snprintf(m->path, sizeof m->path, "%s%s-XXXXXX", session_mount_prefix(), as);
  if (!mkdtemp(m->path)) {
    res_error(r, "internal", "mkdtemp %s: %s", m->path, errno_name(errno));
    return;
  }
  char opts[128] = "";
  const char *given = "";
  if (json_get(args, "size")) {
    snprintf(opts, sizeof opts, "size=%llu", (unsigned long long)hp_off(size, hs));
    given = ",";
  }
  if (json_get(args, "min_size"))
    snprintf(opts + strlen(opts), sizeof opts - strlen(opts), "%smin_size=%llu", given,
             (unsigned long long)hp_off(min_size, hs));
  if (mount("none", m->path, "hugetlbfs", 0, *opts ? opts : NULL)) {
    int e = errno;
    rmdir(m->path);
    errno_res(r, e);
    return;
  }
  snprintf(m->name, sizeof m->name, "%s", as);
  m->used = 1;
}

static void op_umount(const jval *args, step_res *r) {
  static const char *const keys[] = {"mount", NULL};
  if (args_check_keys(args, keys, r)) return;
  hmount *m = need_mount(args, r);
  if (!m) return;
  if (umount2(m->path, 0)) {
    errno_res(r, errno);
    return;
  }
  rmdir(m->path);
  memset(m, 0, sizeof *m);
}

static void op_create(const jval *args, step_res *r) {
  static const char *const keys[] = {"as", "mount", NULL};
  if (args_check_keys(args, keys, r)) return;
  const char *as = arg_str(args, "as", 1, NULL, r);
  if (!as) return;
  hmount *m = need_mount(args, r);
  if (!m) return;
  hfile *f = file_slot(as, r);
  if (!f) return;
  /* A fresh name: a forked child may create a file of the same name in the same mount. */
  snprintf(f->path, sizeof f->path, "%s/%s-XXXXXX", m->path, as);
  int fd = mkostemp(f->path, O_CLOEXEC); /* open(O_CREAT|O_EXCL|O_RDWR, 0600) */
  if (fd < 0) {
    errno_res(r, errno);
    return;
  }
  snprintf(f->name, sizeof f->name, "%s", as);
  f->fd = fd;
  f->used = 1;
}

static void op_memfd_create(const jval *args, step_res *r) {
  static const char *const keys[] = {"as", NULL};
  if (args_check_keys(args, keys, r)) return;
  const char *as = arg_str(args, "as", 1, NULL, r);
  if (!as) return;
  hfile *f = file_slot(as, r);
  if (!f) return;
  int fd = (int)syscall(SYS_memfd_create, as, MFD_HUGETLB | MFD_CLOEXEC);
  if (fd < 0) {
    errno_res(r, errno);
    return;
  }
  snprintf(f->name, sizeof f->name, "%s", as);
  f->path[0] = 0;
  f->fd = fd;
  f->used = 1;
}

static void op_close(const jval *args, step_res *r) {
  static const char *const keys[] = {"file", NULL};
  if (args_check_keys(args, keys, r)) return;
  hfile *f = need_file(args, "file", r);
  if (!f) return;
  if (close(f->fd)) errno_res(r, errno); /* a closed file: EBADF */
  f->fd = -1;
}

static void op_unlink(const jval *args, step_res *r) {
  static const char *const keys[] = {"file", NULL};
  if (args_check_keys(args, keys, r)) return;
  hfile *f = need_file(args, "file", r);
  if (!f) return;
  if (!*f->path) {
    res_error(r, "invalid", "file '%s' is a memfd: it has no name to unlink", f->name);
    return;
  }
  if (unlink(f->path)) errno_res(r, errno);
}

static void op_ftruncate(const jval *args, step_res *r) {
  static const char *const keys[] = {"file", "pages", NULL};
  unsigned long long pages;
  size_t hs;
  if (args_check_keys(args, keys, r) || need_hpsize(&hs, r)) return;
  hfile *f = need_file(args, "file", r);
  if (!f || arg_uint(args, "pages", 1, 0, &pages, r)) return;
  if (ftruncate(f->fd, hp_off(pages, hs))) errno_res(r, errno);
}

static void op_fallocate(const jval *args, step_res *r) {
  static const char *const keys[] = {"file", "offset", "pages", "punch_hole", "keep_size", NULL};
  unsigned long long off, pages;
  int punch, keep;
  size_t hs;
  if (args_check_keys(args, keys, r) || need_hpsize(&hs, r)) return;
  hfile *f = need_file(args, "file", r);
  if (!f || arg_uint(args, "offset", 0, 0, &off, r) || arg_uint(args, "pages", 1, 0, &pages, r) ||
      arg_bool(args, "punch_hole", 0, &punch, r) || arg_bool(args, "keep_size", 0, &keep, r))
    return;
  int mode = punch ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE : keep ? FALLOC_FL_KEEP_SIZE : 0;
  if (fallocate(f->fd, mode, hp_off(off, hs), hp_off(pages, hs))) errno_res(r, errno);
}

static void op_mmap(const jval *args, step_res *r) {
  static const char *const keys[] = {"as", "pages", "file", "offset", "shared", "noreserve", "prot", NULL};
  unsigned long long pages, off;
  int shared, noreserve, prot;
  size_t hs;
  if (args_check_keys(args, keys, r) || need_hpsize(&hs, r)) return;
  const char *as = arg_str(args, "as", 1, NULL, r);
  if (!as || arg_uint(args, "pages", 1, 0, &pages, r) || arg_uint(args, "offset", 0, 0, &off, r)) return;
  if (arg_bool(args, "shared", 0, &shared, r) || arg_bool(args, "noreserve", 0, &noreserve, r)) return;
  const char *ps = arg_str(args, "prot", 0, "rw", r);
  if (!ps) return;
  if (!strcmp(ps, "rw")) prot = PROT_READ | PROT_WRITE;
  else if (!strcmp(ps, "r")) prot = PROT_READ;
  else {
    res_error(r, "invalid", "prot must be rw or r, not '%.32s'", ps);
    return;
  }
  int fd = -1, flags = shared ? MAP_SHARED : MAP_PRIVATE;
  if (json_get(args, "file")) {
    hfile *f = need_file(args, "file", r);
    if (!f) return;
    fd = f->fd;
  } else {
    flags |= MAP_ANONYMOUS | MAP_HUGETLB;
  }
  if (noreserve) flags |= MAP_NORESERVE;
  mapping *m = map_add(as, r);
  if (!m) return;
  /* No guard reservation as overcommit's mmap makes: hugetlb VMAs never merge,
   * and the kernel aligns hugetlb mappings to the huge page size itself. */
  size_t len = hp_bytes(pages, hs);
  void *p = mmap(NULL, len, prot, flags, fd, fd >= 0 ? hp_off(off, hs) : 0);
  if (p == MAP_FAILED) {
    int e = errno;
    map_remove(m);
    errno_res(r, e);
    return;
  }
  if ((uintptr_t)p % hs) {
    munmap(p, len);
    map_remove(m);
    res_error(r, "internal", "the kernel placed a hugetlb mapping at %p, not huge-page aligned", p);
    return;
  }
  m->addr = p;
  m->len = len;
  m->fd = -1; /* the descriptor belongs to the file table */
}

static void op_munmap(const jval *args, step_res *r) {
  static const char *const keys[] = {"map", "offset", "pages", NULL};
  size_t off, len, hs;
  if (args_check_keys(args, keys, r) || need_hpsize(&hs, r)) return;
  mapping *m = need_map(args, r);
  if (!m || map_range_unit(m, args, 1, hs, &off, &len, r)) return;
  if (munmap(m->addr + off, len)) errno_res(r, errno);
  else if (off == 0 && len == m->len) map_remove(m);
}

static void op_touch(const jval *args, step_res *r) {
  static const char *const keys[] = {"map", "offset", "pages", "write", NULL};
  size_t off, len, hs;
  int write, code = 0;
  if (args_check_keys(args, keys, r) || need_hpsize(&hs, r)) return;
  mapping *m = need_map(args, r);
  if (!m || map_range_unit(m, args, 0, hs, &off, &len, r) || arg_bool(args, "write", 1, &write, r)) return;
  int sig = touch_range(m->addr + off, len / hs, hs, write, &code);
  if (sig) {
    r->kind = RES_SIGNAL;
    r->sig = sig;
    r->code = code;
  }
}

static void op_statfs(const jval *args, step_res *r) {
  static const char *const keys[] = {"mount", NULL};
  if (args_check_keys(args, keys, r)) return;
  hmount *m = need_mount(args, r);
  if (!m) return;
  struct statfs st;
  if (statfs(m->path, &st)) {
    errno_res(r, errno);
    return;
  }
  /* Without size= hugetlbfs reports f_blocks = f_bfree = 0; with only
   * min_size= both count down from -1: the difference is the pages in use. */
  r->value = (long long)((unsigned long long)st.f_blocks - (unsigned long long)st.f_bfree);
  r->has_value = 1;
}

static int hugetlb_op(const char *op, const jval *args, step_res *r) {
  static const struct {
    const char *name;
    void (*fn)(const jval *, step_res *);
  } ops[] = {{"sysctl", op_sysctl},       {"mount", op_mount},         {"umount", op_umount},
             {"create", op_create},       {"memfd_create", op_memfd_create}, {"close", op_close},
             {"unlink", op_unlink},       {"ftruncate", op_ftruncate}, {"fallocate", op_fallocate},
             {"mmap", op_mmap},           {"munmap", op_munmap},       {"touch", op_touch},
             {"statfs", op_statfs}};
  for (size_t k = 0; k < sizeof ops / sizeof *ops; k++)
    if (!strcmp(op, ops[k].name)) {
      ops[k].fn(args, r);
      return 1;
    }
  return 0;
}

const probe_mechanism hugetlb_mechanism = {.name = "hugetlb",
                                           .open = hugetlb_open,
                                           .observe = hugetlb_observe,
                                           .session = pool_session,
                                           .op = hugetlb_op,
                                           .polluted = pool_polluted};
