/* probe.h - the mmspec native probe's core: what the relay (probe.c), the
 * session processes (proc.c) and the helpers (kutil.c) offer each mechanism,
 * and what a mechanism offers them (struct probe_mechanism).
 *
 * A mechanism lives in its own folder, tools/probe/<name>/: ops.c defines
 * `const probe_mechanism <name>_mechanism`, and mechanism.json declares the
 * knobs it writes, the file systems it mounts and the kernel config bits it
 * cares about. The build (build.ts) generates the table of mechanisms and of
 * knobs from those folders; nothing here names a mechanism. */
#ifndef MMSPEC_PROBE_H
#define MMSPEC_PROBE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "json.h"

#define PROBE_PAGE 4096UL   /* mmspec sizes are 4 KiB pages */
#define PROBE_MSG_MAX 65536 /* largest message between the relay and a process */
#define PROBE_NAME_MAX 63
#define KNOB_FIRST_LEN 12

/* ---- generated from the mechanisms' folders (registry.gen.c) ---- */

/* A machine-wide setting a session may write. `zeroes`: the knob that writing
 * this one sets to 0 (a ratio and an absolute limit of one thing zero each other):
 * of such a pair, the one that was non-zero is restored last. */
typedef struct {
  const char *name;
  const char *path;
  const char *zeroes;
} knob;
/* More about each knob, in a table of its own (no pointers: nothing to relocate,
 * so the program's writable memory does not grow with it). `first` (when not ""):
 * written before the other knobs of its group (its mechanism) are put back, when
 * any of them differs from its saved value; its own saved value then goes last.
 * `optional`: a kernel may lack its file; it is then saved as "" and left alone. */
typedef struct {
  char first[KNOB_FIRST_LEN];
  int optional;
  int group;
} knob_more;
extern const knob probe_knobs[];   /* NULL-terminated, in restore order */
extern const knob_more probe_knob_more[]; /* probe_knobs' entries, more */
extern const char *const probe_fstypes[]; /* file systems sessions mount */
extern const char *const probe_kconfig[]; /* config bits hello reports */

#define MAX_KNOBS 32
#define KNOB_LEN 32

/* ---- kutil.c: /proc readers, knobs, names, messages ---- */

long committed_as_kb(void); /* exact Committed_AS from /proc/meminfo, -1 on failure */
/* Reads /proc/meminfo into a static buffer; returns it, or NULL. */
const char *meminfo_snapshot(void);
/* A /proc file whole, as far as it fits (NUL-terminated); the bytes read (0 when unreadable). */
size_t read_whole(const char *path, char *buf, size_t cap);
long meminfo_field(const char *snap, const char *key); /* -1 when absent; a wrapped count negative */
/* A sysfs or procfs value: read (trailing newline and blanks cut; a "[x] y" choice as x) or
 * written whole; 0 or an errno. */
int value_read(const char *path, char *out, size_t cap);
int value_write(const char *path, const char *val);
/* /proc/sys/vm/NAME, through value_read and value_write. */
int sysctl_read(const char *name, char *out, size_t outlen);
int sysctl_write(const char *name, const char *val);
/* A knob by name: its index, or -1. */
int knob_index(const char *name);
/* Reads or writes a knob's file; 0 or an errno. Async-signal-safe. */
int knob_read(int k, char *out, size_t outlen);
int knob_write(int k, const char *val);
/* Writes back every knob that differs from saved, in restore order (a knob
 * saved as "" is absent on this kernel and skipped). Async-signal-safe. */
void knobs_restore(char saved[][KNOB_LEN]);
/* Where sessions make their mount points: $MMSPEC_HOST_STATE/mnt, default
 * /run/mmspec/mnt (no trailing slash). */
const char *mnt_base(void);
/* Lazily unmounts (MNT_DETACH) every mount of a probe_fstypes file system
 * whose mount point starts with prefix, and removes the mount points.
 * Async-signal-safe. Returns how many it unmounted. */
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
/* Whether a file system type is in /proc/filesystems. */
int fs_supported(const char *fs);
/* Appends "key":v to an observation object (a comma first unless *first). */
void obs_put(sbuf *b, const char *key, long v, int *first);

/* ---- the relay (probe.c): what a mechanism's open and observe use ---- */

typedef struct {
  const char *kind; /* "invalid" | "unsupported" | "internal" */
  char msg[320];
  char *detail; /* JSON text or NULL (malloc'ed) */
} rpc_err;

__attribute__((format(printf, 3, 4))) int relay_fail(rpc_err *e, const char *kind, const char *fmt, ...);
/* Answers open with a skip; lacks: the kernel lacks what the scenario needs. */
int relay_skip(sbuf *res, const char *reason, int lacks);
/* Answers open with a skip because earlier sessions left the machine in a state no step can
 * undo: a fresh machine (a rebooted guest) could run the scenario. */
int relay_skip_polluted(sbuf *res, const char *reason);
/* Saves every knob (restored when the session ends); 0, or -1 after a skip. */
int relay_save_knobs(sbuf *res);
/* Starts the session's main process, before the config is applied (so that
 * no policy the scenario sets keeps it from starting). params: a JSON object
 * the session processes get (the mechanism's session()). 0 or -1. */
int relay_spawn(const char *params_json, rpc_err *e);
/* Writes knob name = v and reads it back; 0, or -1 after ending the session
 * and answering a skip that says why. */
int relay_apply_knob(const char *name, long long v, sbuf *res);
/* The config is applied: the session opens; Committed_AS is measured from here. */
int relay_open_session(sbuf *res);
/* Ends the session now (kills its processes, unmounts, restores the knobs). */
void relay_end_session(void);
/* The prefix of the session's mount points, "" when none is open. */
const char *relay_mount_prefix(void);
/* Asks the session's main process an internal question ({"op":op,"args":{}});
 * 0 and its reply (valid until the next call), or -1 with e filled. */
int relay_main_call(const char *op, jval **reply, rpc_err *e);
/* Committed_AS as the session measures it: at open plus each step's own change. */
long relay_committed_as(void);
/* Serving a device (a QEMU guest, a disposable machine) rather than stdin. */
int relay_disposable(void);
/* Whether this process may write knobs and mount: root with CAP_SYS_ADMIN. */
int relay_privileged(sbuf *res);

/* ---- a session process (proc.c) ---- */

/* The prefix of the session's mount points (mounts go under it, named after it). */
const char *session_mount_prefix(void);

/* Serves steps on ctl. When the relay vanishes (EOF) without ending the
 * session, the process unmounts and restores the knobs it was told about,
 * then exits: a relay killed by SIGKILL leaves no changed setting behind. */
__attribute__((noreturn)) void proc_serve(int ctl);

/* The outcome of one step in a session process. */
typedef struct {
  enum { RES_OK, RES_ERRNO, RES_SIGNAL, RES_ERROR } kind;
  int err;             /* RES_ERRNO */
  int sig, code;       /* RES_SIGNAL */
  long delta;          /* Committed_AS kB, measured around the syscall */
  long long pid;       /* fork: the child's pid (0: none) */
  long own;            /* __own: the probe's own accountable memory (kB) */
  long own_low;        /* __own: of it, the part below the heap's end (kB) */
  long vm;             /* __own: the process's VmSize (kB) */
  int has_own;
  long long value;     /* the step result's value */
  int has_value;
  const char *ekind;   /* RES_ERROR: "invalid" | "unsupported" | "internal" */
  char emsg[256];
  int new_ctl;         /* fork: set (>= 0) in the child, which serves it */
  const char *obs;     /* __observe: the process's observation members (proc_observe) */
  size_t obs_len;
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
/* The process's named mappings in turn: the one after `after` (NULL: the first), or NULL. */
mapping *map_each(mapping *after);
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
/* Each line of a /proc file to fn (cut at 255 bytes; no malloc): 0, or -1 with errno. */
int each_line(const char *path, void (*fn)(const char *line, void *ctx), void *ctx);
/* A maps/smaps line's VMA range, when the line is a VMA's header: 1, else 0. */
int vma_header(const char *line, uintptr_t *start, uintptr_t *end);
/* Fills the holes among the probe's own mappings (see proc.c). */
void fill_own_holes(void);

/* ---- a mechanism ---- */

typedef struct probe_mechanism {
  const char *name;
  /* Relay: checks the config and the machine, then saves the knobs
   * (relay_save_knobs), starts the session (relay_spawn), applies the config
   * (relay_apply_knob) and opens it (relay_open_session) — or answers a skip
   * (relay_skip) or an error (relay_fail, returning -1). */
  int (*open)(const jval *cfg, sbuf *res, rpc_err *e);
  /* Relay: the observation's fields (obs_put). */
  void (*observe)(sbuf *b, int *first);
  /* Session process: the session's parameters, from relay_spawn. */
  void (*session)(const jval *params);
  /* Session process: one step; 1 when op is one of the mechanism's. fork and
   * exit are the core's. */
  int (*op)(const char *op, const jval *args, step_res *r);
  /* Relay (optional): the session's processes are gone (a session ending,
   * closed or cut short by a signal): undo what they left in the kernel beyond
   * the knobs, which are put back right after. Async-signal-safe. */
  void (*end)(void);
  /* Session process (optional): this process's own observation fields, as
   * JSON object members ("key":value,...; no braces) in a buffer the
   * mechanism owns, *len their length; proc is the process's name in the
   * session. The relay adds every live process's fields to each observation. */
  const char *(*proc_observe)(const char *proc, size_t *len);
  /* Relay (optional): after every step, fork and exit included, whether the machine now
   * holds what a clean one would not (others' state the session ran into); 1 with the
   * reason in why[n], and the step is answered unsupported. */
  int (*polluted)(char *why, size_t n);
} probe_mechanism;

extern const probe_mechanism *const probe_mechanisms[]; /* NULL-terminated */
const probe_mechanism *mechanism_named(const char *name);

#endif
