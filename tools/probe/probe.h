/* probe.h - shared declarations of the mmspec native probe. */
#ifndef MMSPEC_PROBE_H
#define MMSPEC_PROBE_H

#include <stddef.h>
#include <sys/types.h>

#include "json.h"

#define PROBE_PAGE 4096UL   /* mmspec sizes are 4 KiB pages */
#define PROBE_MSG_MAX 65536 /* largest message between the relay and a process */
#define PROBE_NAME_MAX 63

/* ---- kutil.c: /proc readers, names, messages ---- */
long committed_as_kb(void); /* exact Committed_AS from /proc/meminfo, -1 on failure */
/* Reads /proc/meminfo into a static buffer; returns it, or NULL. */
const char *meminfo_snapshot(void);
long meminfo_field(const char *snap, const char *key); /* -1 when absent */
/* /proc/sys/vm/NAME as text (trailing newline removed); 0 or an errno. */
int sysctl_read(const char *name, char *out, size_t outlen);
/* Writes /proc/sys/vm/NAME; 0 or an errno. Async-signal-safe. */
int sysctl_write(const char *name, const char *val);
/* The /proc/sys/vm knobs a session may change, and their restore:
 * async-signal-safe, writes only what differs, and writes whichever of
 * overcommit_ratio/overcommit_kbytes was non-zero last (writing one zeroes
 * the other). */
enum { K_MODE, K_RATIO, K_KBYTES, K_HUGE, K_USER, K_ADMIN, K_OVERHUGE, K_COUNT };
#define KNOB_LEN 32
extern const char *const knob_names[K_COUNT];
void knobs_restore(char saved[K_COUNT][KNOB_LEN]);
/* Where hugetlb mount steps make their mount points: $MMSPEC_HOST_STATE/mnt,
 * default /run/mmspec/mnt (no trailing slash). */
const char *mnt_base(void);
/* Lazily unmounts (MNT_DETACH) every hugetlbfs mount whose mount point starts
 * with prefix, as /proc/self/mounts lists it, and removes the mount points.
 * Async-signal-safe (no malloc, no stdio). Returns how many it unmounted. */
int mounts_cleanup(const char *prefix);
const char *errno_name(int e);
const char *signal_name(int sig);
const char *si_code_name(int sig, int code);
int valid_name(const char *s); /* ^[a-z][a-z0-9_-]*$, at most PROBE_NAME_MAX */
/* One record on a SOCK_SEQPACKET socket, optionally carrying a file descriptor. */
int send_msg(int sock, const char *buf, size_t len, int fd);
ssize_t recv_msg(int sock, char *buf, size_t cap, int *fd);
/* Ends child pid (SIGTERM, whose handler in a session process calls _exit(0))
 * and waits for it, reading Committed_AS just before and after. Returns 0 and
 * the delta in kB, or an errno. */
int end_child(pid_t pid, long *delta);

/* ---- proc.c: a session process (main or a forked child) ---- */
/* Serves steps on ctl. When the relay vanishes (EOF) without ending the
 * session, the process restores the knobs it was told about (__knobs), then
 * exits: a relay killed by SIGKILL leaves no changed sysctl behind. */
__attribute__((noreturn)) void proc_serve(int ctl);

/* The outcome of one step in a session process. */
typedef struct {
  enum { RES_OK, RES_ERRNO, RES_SIGNAL, RES_ERROR } kind;
  int err;             /* RES_ERRNO */
  int sig, code;       /* RES_SIGNAL */
  long delta;          /* Committed_AS kB, measured around the syscall */
  long long pid;       /* fork: the child's pid (0: none) */
  long own;            /* __own: the probe's own accountable memory (kB) */
  int has_own;
  long long value;     /* the step result's value (statfs) */
  int has_value;
  const char *ekind;   /* RES_ERROR: "invalid" | "unsupported" | "internal" */
  char emsg[256];
  int new_ctl;         /* fork: set (>= 0) in the child, which serves it */
} step_res;

__attribute__((format(printf, 3, 4))) void res_error(step_res *r, const char *kind, const char *fmt, ...);

/* Argument helpers: 0 when fine, -1 with r filled (invalid/unsupported). */
int args_check_keys(const jval *args, const char *const *allowed, step_res *r);
int arg_uint(const jval *args, const char *key, int required, unsigned long long def, unsigned long long *out,
             step_res *r);
int arg_int(const jval *args, const char *key, int required, long long def, long long *out, step_res *r);
int arg_bool(const jval *args, const char *key, int def, int *out, step_res *r);
const char *arg_str(const jval *args, const char *key, int required, const char *def, step_res *r);

/* The per-process table of named mappings (inherited by fork). */
typedef struct {
  char name[PROBE_NAME_MAX + 1];
  char *addr;
  size_t len; /* bytes */
  int fd;     /* backing file, or -1 */
  int used;
} mapping;
mapping *map_find(const char *name);
mapping *need_map(const jval *args, step_res *r);
mapping *map_add(const char *name, step_res *r);
void map_remove(mapping *m);
/* Resolves {offset, pages} against m: offset defaults to 0, pages to the rest
 * of the mapping (default_rest) or to 1. The range must lie inside the mapping.
 * Byte offset and length out. */
int map_range(const mapping *m, const jval *args, int default_rest, size_t *off, size_t *len, step_res *r);
/* map_range with offset and pages counted in units of unit bytes (map_range: PROBE_PAGE). */
int map_range_unit(const mapping *m, const jval *args, int default_rest, size_t unit, size_t *off, size_t *len,
                   step_res *r);
/* Runs the touch loop catching SIGSEGV/SIGBUS, one byte every stride bytes;
 * returns 0 or the signal number. */
int touch_range(char *addr, size_t npages, size_t stride, int write, int *si_code);

/* The session's mechanism, which picks the ops a session process serves
 * (told by the relay in __knobs, inherited by fork). */
enum { MECH_OVERCOMMIT, MECH_HUGETLB };
extern int session_mech;
/* hugetlb: the prefix of this session's mount points (told in __knobs). */
extern char session_mnt_prefix[256];
/* Huge pages others hold reserved (told in __knobs): the session sees the pool
 * without them, so nr_hugepages writes add them back (see probe.c, open). */
extern long session_hp_offset;
/* Writes vm.nr_hugepages = pages + session_hp_offset; 0 or an errno. */
int nr_hugepages_write(unsigned long long pages);

/* ---- ops_overcommit.c ---- */
/* 1 when op is handled (r filled), 0 when op is unknown here. */
int overcommit_op(const char *op, const jval *args, step_res *r);

/* ---- ops_hugetlb.c ---- */
int hugetlb_op(const char *op, const jval *args, step_res *r);

#endif
