/* kutil.c - /proc readers, errno/signal names and socket messages. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"

/* No stdio and no malloc here: a session process reads Committed_AS right
 * around the syscall it measures and must not change its own mappings. */
static char meminfo_buf[16384];

size_t read_whole(const char *path, char *buf, size_t cap) {
  size_t n = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    while (n < cap - 1) {
      ssize_t k = read(fd, buf + n, cap - 1 - n);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) break;
      n += (size_t)k;
    }
    close(fd);
  }
  buf[n] = 0;
  return n;
}

static char proc_chunk[8192];

/* Calls fn with each line of a /proc file (cut at 255 bytes), read in chunks with no malloc
 * and no stdio, so that reading changes nothing it reads. 0, or -1 with errno. */
int each_line(const char *path, void (*fn)(const char *line, void *ctx), void *ctx) {
  char line[256];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t ll = 0;
  for (;;) {
    ssize_t k = read(fd, proc_chunk, sizeof proc_chunk);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) {
      int e = errno;
      close(fd);
      errno = e;
      return -1;
    }
    if (k == 0) break;
    for (ssize_t j = 0; j < k; j++) {
      char c = proc_chunk[j];
      if (c != '\n') {
        if (ll < sizeof line - 1) line[ll++] = c;
        continue;
      }
      line[ll] = 0;
      fn(line, ctx);
      ll = 0;
    }
  }
  close(fd);
  if (ll) {
    line[ll] = 0;
    fn(line, ctx);
  }
  return 0;
}

/* A /proc/self/maps or smaps line's range, when it is a VMA's header ("start-end perms ..."). */
int vma_header(const char *line, uintptr_t *start, uintptr_t *end) {
  if (!((*line >= '0' && *line <= '9') || (*line >= 'a' && *line <= 'f'))) return 0;
  char *p;
  unsigned long a = strtoul(line, &p, 16), b = 0;
  if (*p != '-') return 0;
  b = strtoul(p + 1, NULL, 16);
  *start = a;
  *end = b > a ? b : a;
  return 1;
}

const char *meminfo_snapshot(void) {
  return read_whole("/proc/meminfo", meminfo_buf, sizeof meminfo_buf) ? meminfo_buf : NULL;
}

long meminfo_field(const char *snap, const char *key) {
  if (!snap) return -1;
  size_t kl = strlen(key);
  for (const char *line = snap; *line;) {
    if (!strncmp(line, key, kl) && line[kl] == ':') {
      const char *p = line + kl + 1;
      while (*p == ' ') p++;
      /* Unsigned, so that a count the kernel let wrap below zero (%lu of a negative) reads back negative. */
      unsigned long v = 0;
      int any = 0;
      while (*p >= '0' && *p <= '9') v = v * 10 + (unsigned long)(*p++ - '0'), any = 1;
      return any ? (long)v : -1;
    }
    const char *nl = strchr(line, '\n');
    if (!nl) break;
    line = nl + 1;
  }
  return -1;
}

long committed_as_kb(void) { return meminfo_field(meminfo_snapshot(), "Committed_AS"); }

static void vm_path(char *out, size_t cap, const char *name) {
  static const char pre[] = "/proc/sys/vm/";
  size_t pl = sizeof pre - 1, nl = strlen(name);
  if (pl + nl + 1 > cap) nl = cap - pl - 1;
  memcpy(out, pre, pl);
  memcpy(out + pl, name, nl);
  out[pl + nl] = 0;
}

int value_read(const char *path, char *out, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n;
  do n = read(fd, out, cap - 1);
  while (n < 0 && errno == EINTR);
  int e = errno;
  close(fd);
  if (n < 0) return e;
  out[n] = 0;
  while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' ')) out[--n] = 0;
  /* sysfs choice files ("always [madvise] never") read as the word in brackets */
  char *lb = strchr(out, '['), *rb = lb ? strchr(lb, ']') : NULL;
  if (lb && rb) {
    size_t len = (size_t)(rb - lb - 1);
    memmove(out, lb + 1, len);
    out[len] = 0;
  }
  return 0;
}

int value_write(const char *path, const char *val) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  size_t n = strlen(val);
  ssize_t w;
  do w = write(fd, val, n);
  while (w < 0 && errno == EINTR);
  int e = w < 0 ? errno : ((size_t)w == n ? 0 : EIO);
  if (close(fd) && !e) e = errno;
  return e;
}

int sysctl_read(const char *name, char *out, size_t outlen) {
  char path[128];
  vm_path(path, sizeof path, name);
  return value_read(path, out, outlen);
}

int sysctl_write(const char *name, const char *val) {
  char path[128];
  vm_path(path, sizeof path, name);
  return value_write(path, val);
}

/* ---- knobs (the table is generated from the mechanisms' folders) ---- */

int knob_index(const char *name) {
  for (int k = 0; probe_knobs[k].name; k++)
    if (!strcmp(probe_knobs[k].name, name)) return k;
  return -1;
}

int knob_read(int k, char *out, size_t outlen) { return value_read(probe_knobs[k].path, out, outlen); }

int knob_write(int k, const char *val) { return value_write(probe_knobs[k].path, val); }

static int knob_is(int k, const char *val) {
  char cur[KNOB_LEN];
  return !knob_read(k, cur, sizeof cur) && !strcmp(cur, val);
}

void knobs_restore(char saved[][KNOB_LEN]) {
  /* Pass 0: the `first` value of a knob whose group has anything to put back.
   * Pass 1: the others in order; pass 2: a knob that zeroes another, after it
   * when it was the non-zero one; pass 3: the `first` knobs' own values. */
  int pass_of[MAX_KNOBS] = {0};
  int busy[MAX_KNOBS] = {0}; /* by group: some knob of it differs from its saved value */
  for (int k = 0; probe_knobs[k].name && k < MAX_KNOBS; k++) {
    int other = probe_knobs[k].zeroes ? knob_index(probe_knobs[k].zeroes) : -1;
    pass_of[k] = probe_knob_more[k].first[0] ? 3 : 1;
    if (other >= 0 && strcmp(saved[k], "0") && !strcmp(saved[other], "0")) pass_of[k] = 2;
    int g = probe_knob_more[k].group;
    if (saved[k][0] && g >= 0 && g < MAX_KNOBS && !knob_is(k, saved[k])) busy[g] = 1;
  }
  for (int k = 0; probe_knobs[k].name && k < MAX_KNOBS; k++) {
    int g = probe_knob_more[k].group;
    if (probe_knob_more[k].first[0] && saved[k][0] && g >= 0 && g < MAX_KNOBS && busy[g]) knob_write(k, probe_knob_more[k].first);
  }
  for (int pass = 1; pass <= 3; pass++)
    for (int k = 0; probe_knobs[k].name && k < MAX_KNOBS; k++) {
      if (pass_of[k] != pass || !saved[k][0]) continue;
      int other = probe_knobs[k].zeroes ? knob_index(probe_knobs[k].zeroes) : -1;
      /* Of a pair, write both when either differs: each write zeroes the other. */
      if (!knob_is(k, saved[k]) || (other >= 0 && !knob_is(other, saved[other]))) knob_write(k, saved[k]);
    }
}

void obs_put(sbuf *b, const char *key, long v, int *first) {
  sb_printf(b, "%s\"%s\":%ld", *first ? "" : ",", key, v);
  *first = 0;
}

const probe_mechanism *mechanism_named(const char *name) {
  for (int k = 0; name && probe_mechanisms[k]; k++)
    if (!strcmp(probe_mechanisms[k]->name, name)) return probe_mechanisms[k];
  return NULL;
}

/* ---- mount points ---- */

const char *mnt_base(void) {
  static char base[200];
  if (!*base) {
    const char *st = getenv("MMSPEC_HOST_STATE");
    if (!st || !*st || strlen(st) > sizeof base - 8) st = "/run/mmspec";
    size_t n = strlen(st);
    while (n > 1 && st[n - 1] == '/') n--;
    memcpy(base, st, n);
    memcpy(base + n, "/mnt", 5);
  }
  return base;
}

struct mounts_pass {
  const char *prefix;
  int n;
};

/* One line of /proc/self/mounts: "dev mountpoint fstype opts 0 0". */
static void mounts_take(const char *text, void *ctx) {
  struct mounts_pass *pass = ctx;
  char line[256];
  snprintf(line, sizeof line, "%s", text);
  char *mp = strchr(line, ' ');
  if (!mp) return;
  mp++;
  char *sp = strchr(mp, ' ');
  if (!sp) return;
  *sp = 0;
  char *fs = sp + 1, *fe = strchr(fs, ' ');
  if (fe) *fe = 0;
  int ours = 0;
  for (int k = 0; probe_fstypes[k] && !ours; k++) ours = !strcmp(fs, probe_fstypes[k]);
  if (!ours || strncmp(mp, pass->prefix, strlen(pass->prefix))) return;
  if (umount2(mp, MNT_DETACH)) return;
  rmdir(mp);
  pass->n++;
}

/* One pass over /proc/self/mounts: the mounts it took down. */
static int mounts_pass(const char *prefix) {
  struct mounts_pass pass = {prefix, 0};
  each_line("/proc/self/mounts", mounts_take, &pass);
  return pass.n;
}

int mounts_cleanup(const char *prefix) {
  if (!prefix || !*prefix) return 0;
  /* Unmounting while reading the table can make the reader skip a line: read
   * it again until a pass finds nothing more. */
  int n = 0, k;
  for (int pass = 0; pass < 8 && (k = mounts_pass(prefix)) > 0; pass++) n += k;
  return n;
}

const char *errno_name(int e) {
  switch (e) {
#define E(x) \
  case x: return #x;
    E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC) E(EBADF) E(ECHILD) E(EAGAIN)
    E(ENOMEM) E(EACCES) E(EFAULT) E(EBUSY) E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL)
    E(ENFILE) E(EMFILE) E(ENOTTY) E(ETXTBSY) E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS) E(EMLINK) E(EPIPE)
    E(EDOM) E(ERANGE) E(EDEADLK) E(ENAMETOOLONG) E(ENOLCK) E(ENOSYS) E(ENOTEMPTY) E(ELOOP) E(ENODATA)
    E(EOVERFLOW) E(EOPNOTSUPP) E(ETIMEDOUT) E(EIDRM) E(ENOTSOCK) E(EHWPOISON) E(ECANCELED)
#undef E
    default: {
      static char buf[24];
      snprintf(buf, sizeof buf, "E%d", e);
      return buf;
    }
  }
}

const char *signal_name(int sig) {
  switch (sig) {
#define S(x) \
  case x: return #x;
    S(SIGHUP) S(SIGINT) S(SIGQUIT) S(SIGILL) S(SIGTRAP) S(SIGABRT) S(SIGBUS) S(SIGFPE) S(SIGKILL) S(SIGUSR1)
    S(SIGSEGV) S(SIGUSR2) S(SIGPIPE) S(SIGALRM) S(SIGTERM) S(SIGCHLD) S(SIGCONT) S(SIGSTOP) S(SIGXCPU)
    S(SIGXFSZ) S(SIGSYS)
#undef S
    default: {
      static char buf[24];
      snprintf(buf, sizeof buf, "SIG%d", sig);
      return buf;
    }
  }
}

const char *si_code_name(int sig, int code) {
  static const char *const segv[] = {NULL, "SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR",
                                     "SEGV_ACCADI", "SEGV_ADIDERR", "SEGV_ADIPERR", "SEGV_MTEAERR",
                                     "SEGV_MTESERR", "SEGV_CPERR"};
  static const char *const bus[] = {NULL, "BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR", "BUS_MCEERR_AR",
                                    "BUS_MCEERR_AO"};
  if (sig == SIGSEGV && code > 0 && code < (int)(sizeof segv / sizeof *segv)) return segv[code];
  if (sig == SIGBUS && code > 0 && code < (int)(sizeof bus / sizeof *bus)) return bus[code];
  switch (code) {
    case SI_USER: return "SI_USER";
    case SI_KERNEL: return "SI_KERNEL";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TKILL: return "SI_TKILL";
  }
  static char buf[24];
  snprintf(buf, sizeof buf, "SI_CODE_%d", code);
  return buf;
}

int valid_name(const char *s) {
  if (!s || !(*s >= 'a' && *s <= 'z')) return 0;
  size_t n = 0;
  for (const char *p = s; *p; p++, n++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-')) return 0;
  return n <= PROBE_NAME_MAX;
}

int send_msg(int sock, const char *buf, size_t len, int fd) {
  struct iovec iov = {(void *)buf, len};
  union {
    struct cmsghdr h;
    char space[CMSG_SPACE(sizeof(int))];
  } ctl;
  struct msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  if (fd >= 0) {
    memset(&ctl, 0, sizeof ctl);
    mh.msg_control = ctl.space;
    mh.msg_controllen = sizeof ctl.space;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  ssize_t k;
  do k = sendmsg(sock, &mh, MSG_NOSIGNAL);
  while (k < 0 && errno == EINTR);
  return k == (ssize_t)len ? 0 : -1;
}

ssize_t recv_msg(int sock, char *buf, size_t cap, int *fd) {
  struct iovec iov = {buf, cap};
  union {
    struct cmsghdr h;
    char space[CMSG_SPACE(sizeof(int))];
  } ctl;
  struct msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = ctl.space;
  mh.msg_controllen = sizeof ctl.space;
  if (fd) *fd = -1;
  ssize_t k;
  do k = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
  while (k < 0 && errno == EINTR);
  if (k < 0) return -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int got;
      memcpy(&got, CMSG_DATA(c), sizeof got);
      if (fd && *fd < 0) *fd = got;
      else close(got);
    }
  if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
    if (fd && *fd >= 0) close(*fd), *fd = -1;
    errno = EMSGSIZE;
    return -1;
  }
  return k;
}

int end_child(pid_t pid, long *delta) {
  long c0 = committed_as_kb();
  if (kill(pid, SIGTERM)) return errno;
  int st;
  pid_t w;
  do w = waitpid(pid, &st, 0);
  while (w < 0 && errno == EINTR);
  long c1 = committed_as_kb();
  if (w < 0) return errno;
  *delta = c1 - c0;
  return 0;
}

/* Whether a file system type is in /proc/filesystems. */
int fs_supported(const char *fs) {
  int fd = open("/proc/filesystems", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[8192];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  size_t fl = strlen(fs);
  for (char *line = buf; line && *line;) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = 0;
    char *tab = strrchr(line, '\t');
    const char *name = tab ? tab + 1 : line;
    if (!strncmp(name, fs, fl) && !name[fl]) return 1;
    line = nl ? nl + 1 : NULL;
  }
  return 0;
}
