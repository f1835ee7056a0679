/* probe.c - mmspec native probe: lets a real Linux kernel act as an
 * implementation under test, speaking the mmspec line protocol
 * (spec/protocol.md: JSON-RPC 2.0 over JSON Lines).
 *
 * usage: probe [DEVICE]
 *   Reads requests from stdin and answers on stdout, or reads and writes
 *   DEVICE (e.g. /dev/ttyS1 inside a QEMU guest). (`probe --serve=FD` is
 *   internal: the session's main process, re-executed from /proc/self/exe.)
 *
 * This process is a relay. `open` applies the config to /proc/sys/vm and
 * forks the session's "main" process; each session process (main and the
 * children that fork steps make) serves steps on its own control socket
 * (proc.c) and measures Committed_AS right around the syscall it makes. The
 * relay reports Committed_AS as the value read at open plus the sum of those
 * deltas, so other processes on the machine do not show up in it; fork and
 * exit leave out the probe's own runtime memory (libc data, heap, stack), as
 * a scenario's process holds only the mappings its steps made. The relay
 * is a child subreaper, so it can wait for processes whose parent has exited.
 * What a session opens, observes and steps is its mechanism's
 * (tools/probe/<name>/ops.c); mounts a mechanism makes go under
 * $MMSPEC_HOST_STATE/mnt (default /run/mmspec/mnt), named after the relay's
 * pid and the session.
 * `close`, end of input and SIGTERM/SIGINT/SIGHUP kill every session process,
 * unmount the session's mounts and put every knob back as it was before
 * `open`. Session processes that find the relay gone (SIGKILL) do the same
 * unmounting and restoring themselves.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "probe.h"

#define MAX_PROCS 64
#define MAX_LINE (16u << 20)

#define CODE_UNSUPPORTED (-32001)
#define CODE_INVALID (-32602)
#define CODE_INTERNAL (-32603)

static int in_fd = 0, out_fd = 1;
static int device_mode; /* argv[1] given: serving a device, as inside a QEMU guest */
static jarena arena;
static char *rxbuf; /* PROBE_MSG_MAX + 1; the relay's buffers live on its heap, not in a session process */

struct proc {
  char name[PROBE_NAME_MAX + 1];
  pid_t pid;
  int sock;
  int parent; /* index into procs, or -1 when the relay is its parent */
  int alive;
};
static struct proc procs[MAX_PROCS];
static volatile sig_atomic_t nprocs;

static struct {
  int open;
  const probe_mechanism *mech;
  char id[16];
  long baseline, sum; /* Committed_AS at open (kB); sum of the measured deltas */
} sess;
/* The prefix of the session's mount points ("" when none may exist). */
static char sess_mnt[256];
static int session_count;

/* A session's processes were started (its mechanism's end hook is owed). */
static volatile sig_atomic_t spawned;

/* The knobs open and steps may change: their values before open. */
static char knobs_orig[MAX_KNOBS][KNOB_LEN];
static volatile sig_atomic_t knobs_saved;

int relay_fail(rpc_err *e, const char *kind, const char *fmt, ...) {
  va_list ap;
  e->kind = kind;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  return -1;
}
#define fail relay_fail

/* ---- knobs (async-signal-safe: used from the signal handler) ---- */

static void restore_knobs(void) {
  if (!knobs_saved) return;
  knobs_restore(knobs_orig);
  knobs_saved = 0;
}

/* Kills every session process, waits for all of them, unmounts the session's
 * mounts (which the processes' files and mappings kept busy), then
 * restores the knobs (a pool shrinks only once its pages are free). */
static void end_session(void) {
  for (int k = 0; k < nprocs; k++)
    if (procs[k].alive) {
      kill(procs[k].pid, SIGKILL);
      close(procs[k].sock);
      procs[k].alive = 0;
    }
  /* Our children, and (we are a subreaper) grandchildren whose parent died. */
  for (;;) {
    pid_t w = waitpid(-1, NULL, 0);
    if (w < 0 && errno != EINTR) break;
  }
  nprocs = 0;
  sess.open = 0;
  if (spawned && sess.mech && sess.mech->end) sess.mech->end();
  spawned = 0;
  mounts_cleanup(sess_mnt);
  sess_mnt[0] = 0;
  restore_knobs();
}

static void on_fatal(int sig) {
  end_session();
  _exit(128 + sig);
}

/* ---- output ---- */

static void write_all(const char *p, size_t n) {
  while (n) {
    ssize_t k = write(out_fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) { /* nobody is listening: clean up and go */
      end_session();
      exit(0);
    }
    p += k;
    n -= (size_t)k;
  }
}

static void respond(int has_id, long long id, const sbuf *result, const rpc_err *err) {
  sbuf b = {0};
  sb_puts(&b, "{\"jsonrpc\":\"2.0\",\"id\":");
  if (has_id) sb_printf(&b, "%lld", id);
  else sb_puts(&b, "null");
  if (err) {
    int code = !strcmp(err->kind, "unsupported") ? CODE_UNSUPPORTED
               : !strcmp(err->kind, "invalid")   ? CODE_INVALID
                                                 : CODE_INTERNAL;
    sb_printf(&b, ",\"error\":{\"code\":%d,\"message\":", code);
    sb_jstrz(&b, err->msg);
    sb_puts(&b, ",\"data\":{\"kind\":");
    sb_jstrz(&b, err->kind);
    if (err->detail) {
      sb_puts(&b, ",\"detail\":");
      sb_puts(&b, err->detail);
    }
    sb_puts(&b, "}}}\n");
  } else {
    sb_puts(&b, ",\"result\":");
    sb_putn(&b, result->p ? result->p : "{}", result->p ? result->len : 2);
    sb_puts(&b, "}\n");
  }
  if (b.oflow) {
    sb_free(&b);
    static const char oom[] = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,\"message\":\"out of "
                              "memory\",\"data\":{\"kind\":\"internal\"}}}\n";
    write_all(oom, sizeof oom - 1);
    return;
  }
  write_all(b.p, b.len);
  sb_free(&b);
}

/* ---- observation ---- */

static int proc_call(int k, const sbuf *msg, int fd, jval **reply, rpc_err *e);

/* The mechanism's machine-wide fields, then each live session process's own
 * (proc_observe), which it reports itself. */
static void write_observation(sbuf *b) {
  int first = 1;
  sb_putc(b, '{');
  if (sess.mech) sess.mech->observe(b, &first);
  for (int k = 0; sess.mech && sess.mech->proc_observe && k < nprocs; k++) {
    if (!procs[k].alive) continue;
    sbuf msg = {0};
    sb_puts(&msg, "{\"op\":\"__observe\",\"args\":{\"proc\":");
    sb_jstrz(&msg, procs[k].name);
    sb_puts(&msg, "}}");
    jval *reply = NULL;
    rpc_err e = {0};
    int rc = msg.oflow ? -1 : proc_call(k, &msg, -1, &reply, &e);
    sb_free(&msg);
    const jval *obs = rc ? NULL : json_get(reply, "obs");
    for (const jval *m = obs && obs->t == J_OBJ ? obs->child : NULL; m; m = m->next) {
      if (!first) sb_putc(b, ',');
      first = 0;
      sb_jstrz(b, m->key);
      sb_putc(b, ':');
      json_write(b, m);
    }
  }
  sb_putc(b, '}');
}

/* ---- session processes ---- */

static int find_proc(const char *name) {
  for (int k = 0; k < nprocs; k++)
    if (procs[k].alive && !strcmp(procs[k].name, name)) return k;
  return -1;
}

/* The kernel hands the children of an ended process to us (subreaper). */
static void mark_ended(int k) {
  close(procs[k].sock);
  procs[k].alive = 0;
  for (int j = 0; j < nprocs; j++)
    if (procs[j].alive && procs[j].parent == k) procs[j].parent = -1;
}

static int proc_died(int k, rpc_err *e) {
  struct proc *p = &procs[k];
  char how[64] = "stopped answering";
  if (p->parent < 0) {
    int st;
    pid_t w;
    do w = waitpid(p->pid, &st, 0);
    while (w < 0 && errno == EINTR);
    if (w == p->pid && WIFSIGNALED(st)) snprintf(how, sizeof how, "was killed by %s", signal_name(WTERMSIG(st)));
    else if (w == p->pid && WIFEXITED(st)) snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(st));
  }
  mark_ended(k);
  return fail(e, "internal", "process '%s' (pid %d) %s", p->name, (int)p->pid, how);
}

/* Sends one message to process k and parses its reply into the arena. */
static int proc_call(int k, const sbuf *msg, int fd, jval **reply, rpc_err *e) {
  if (msg->len > PROBE_MSG_MAX) return fail(e, "invalid", "step too large (%zu bytes)", msg->len);
  if (send_msg(procs[k].sock, msg->p, msg->len, fd)) return proc_died(k, e);
  ssize_t n = recv_msg(procs[k].sock, rxbuf, PROBE_MSG_MAX, NULL);
  if (n <= 0) return proc_died(k, e);
  rxbuf[n] = 0;
  char perr[96];
  char *copy = jarena_alloc(&arena, (size_t)n + 1);
  if (!copy) return fail(e, "internal", "out of memory");
  memcpy(copy, rxbuf, (size_t)n + 1);
  *reply = json_parse(&arena, copy, (size_t)n, perr, sizeof perr);
  if (!*reply || (*reply)->t != J_OBJ) return fail(e, "internal", "bad reply from process '%s'", procs[k].name);
  const jval *er = json_get(*reply, "error");
  if (er) {
    const char *kind = json_str(er, "kind"), *m = json_str(er, "message");
    kind = kind && !strcmp(kind, "invalid") ? "invalid" : kind && !strcmp(kind, "unsupported") ? "unsupported"
                                                                                                 : "internal";
    return fail(e, kind, "%s", m ? m : "error");
  }
  return 0;
}

static int spawn_main(const char *params, rpc_err *e) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
    return fail(e, "internal", "socketpair: %s", errno_name(errno));
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(sv[0]);
    close(sv[1]);
    return fail(e, "internal", "fork: %s", errno_name(err));
  }
  if (pid == 0) {
    knobs_saved = 0; /* the relay's duties are not ours */
    nprocs = 0;
    /* Every session process on one CPU (fork inherits it): the per-CPU commit
     * counter then batches the session's charges as a model on one CPU does. */
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sched_setaffinity(0, sizeof one, &one);
    close(sv[0]);
    int nul = open("/dev/null", O_RDWR);
    if (in_fd > 2) close(in_fd);
    if (out_fd > 2 && out_fd != in_fd) close(out_fd);
    if (nul >= 0) {
      dup2(nul, 0);
      dup2(nul, 1);
      if (nul > 2) close(nul);
    }
    /* A fresh image: main's own accountable memory (which fork and exit
     * steps leave out of their deltas, but which the kernel still charges
     * against the limit) is then small and the same in every session,
     * whatever the relay did. */
    char arg[32];
    snprintf(arg, sizeof arg, "--serve=%d", sv[1]);
    fcntl(sv[1], F_SETFD, 0);
    /* The same layout at every run: where the kernel places mappings, and which
     * freed range a later one reuses, must not depend on address randomisation. */
    personality(ADDR_NO_RANDOMIZE);
    execl("/proc/self/exe", "probe", arg, (char *)NULL);
    fcntl(sv[1], F_SETFD, FD_CLOEXEC); /* no /proc/self/exe: serve from this copy */
    proc_serve(sv[1]);
  }
  close(sv[1]);
  memset(&procs[0], 0, sizeof procs[0]);
  strcpy(procs[0].name, "main");
  procs[0].pid = pid;
  procs[0].sock = sv[0];
  procs[0].parent = -1;
  procs[0].alive = 1;
  nprocs = 1;
  /* Tell main the knobs' values before open (so it can restore them should
   * we die without ending the session); this also checks it is up. */
  sbuf msg = {0};
  sb_puts(&msg, "{\"op\":\"__knobs\",\"args\":{");
  for (int k = 0; probe_knobs[k].name; k++) {
    sb_printf(&msg, "%s\"%s\":", k ? "," : "", probe_knobs[k].name);
    sb_jstrz(&msg, knobs_orig[k]);
  }
  sb_puts(&msg, "},\"mechanism\":");
  sb_jstrz(&msg, sess.mech->name);
  sb_puts(&msg, ",\"mnt\":");
  sb_jstrz(&msg, sess_mnt);
  sb_puts(&msg, ",\"params\":");
  sb_puts(&msg, params && *params ? params : "{}");
  sb_putc(&msg, '}');
  jval *reply;
  int rc = proc_call(0, &msg, -1, &reply, e);
  sb_free(&msg);
  return rc;
}

/* ---- steps ---- */

static int is_one_of(const char *s, const char *const *list) {
  for (; *list; list++)
    if (!strcmp(s, *list)) return 1;
  return 0;
}

/* exit: the parent ends the process and waits for it, reading Committed_AS
 * around that. The process first tells how much of the accountable memory it
 * holds is the probe's own (libc data, heap, stack), not the scenario's: its
 * exit gives that back too, and the step reports the scenario's part only. */
static int step_exit(int k, long *delta, rpc_err *e) {
  struct proc *p = &procs[k];
  sbuf msg0 = {0};
  sb_puts(&msg0, "{\"op\":\"__own\",\"args\":{}}");
  jval *own_reply;
  int rc0 = msg0.oflow ? fail(e, "internal", "out of memory") : proc_call(k, &msg0, -1, &own_reply, e);
  sb_free(&msg0);
  if (rc0) return rc0;
  const jval *ov = json_get(own_reply, "own");
  if (!ov || ov->t != J_NUM || !ov->is_int || ov->i < 0)
    return fail(e, "internal", "process '%s' did not tell its own memory", p->name);
  long own = (long)ov->i;
  if (p->parent < 0) {
    int err = end_child(p->pid, delta);
    if (err) return fail(e, "internal", "ending process '%s': %s", p->name, errno_name(err));
  } else {
    sbuf msg = {0};
    sb_printf(&msg, "{\"op\":\"__reap\",\"args\":{\"pid\":%d}}", (int)p->pid);
    jval *reply;
    int rc = proc_call(p->parent, &msg, -1, &reply, e);
    sb_free(&msg);
    if (rc) return rc;
    const jval *d = json_get(reply, "delta");
    *delta = d && d->t == J_NUM ? (long)d->i : 0;
  }
  *delta += own;
  mark_ended(k);
  return 0;
}

static int step_fork(int k, const jval *args, jval **reply, rpc_err *e) {
  for (const jval *m = args->child; m; m = m->next)
    if (strcmp(m->key, "as")) return fail(e, "unsupported", "argument '%.64s' is not supported", m->key);
  const char *as = json_str(args, "as");
  if (!as || !valid_name(as)) return fail(e, "invalid", "fork needs a process name 'as' (^[a-z][a-z0-9_-]*$)");
  if (find_proc(as) >= 0) return fail(e, "invalid", "process '%s' already exists", as);
  /* A slot of an ended process can be reused: mark_ended moved its children to us. */
  int slot = -1;
  for (int j = 0; j < nprocs && slot < 0; j++)
    if (!procs[j].alive) slot = j;
  if (slot < 0 && nprocs < MAX_PROCS) slot = nprocs;
  if (slot < 0) return fail(e, "unsupported", "more than %d processes", MAX_PROCS);

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
    return fail(e, "internal", "socketpair: %s", errno_name(errno));
  sbuf msg = {0};
  sb_puts(&msg, "{\"op\":\"fork\",\"args\":{}}");
  int rc = proc_call(k, &msg, sv[1], reply, e);
  sb_free(&msg);
  close(sv[1]);
  const jval *pid = rc ? NULL : json_get(*reply, "pid");
  if (rc || !pid || pid->t != J_NUM) {
    close(sv[0]); /* a child that did start sees EOF and exits */
    return rc;
  }
  struct proc *c = &procs[slot];
  memset(c, 0, sizeof *c);
  snprintf(c->name, sizeof c->name, "%s", as);
  c->pid = (pid_t)pid->i;
  c->sock = sv[0];
  c->parent = k;
  c->alive = 1;
  if (slot == nprocs) nprocs = slot + 1;
  return 0;
}

/* Runs one step and appends its StepResult to out. */
static int run_step(const jval *step, sbuf *out, rpc_err *e) {
  if (!step || step->t != J_OBJ) return fail(e, "invalid", "a step must be an object");
  for (const jval *m = step->child; m; m = m->next)
    if (strcmp(m->key, "op") && strcmp(m->key, "args") && strcmp(m->key, "proc"))
      return fail(e, "invalid", "unknown step field '%.64s'", m->key);
  const char *op = json_str(step, "op");
  const jval *args = json_get(step, "args");
  const jval *pv = json_get(step, "proc");
  if (!op) return fail(e, "invalid", "step.op must be a string");
  if (!args || args->t != J_OBJ) return fail(e, "invalid", "step.args must be an object");
  if (pv && pv->t != J_STR) return fail(e, "invalid", "step.proc must be a string");
  const char *pname = pv ? pv->s : "main";
  int k = find_proc(pname);
  if (k < 0) return fail(e, "invalid", "no live process named '%.64s'", pname);

  jval *reply = NULL;
  long delta = 0;
  if (!strcmp(op, "exit")) {
    if (!strcmp(pname, "main")) return fail(e, "invalid", "the main process cannot exit; exit a forked child");
    if (args->child) return fail(e, "unsupported", "argument '%.64s' is not supported", args->child->key);
    if (step_exit(k, &delta, e)) return -1;
  } else if (!strcmp(op, "fork")) {
    if (step_fork(k, args, &reply, e)) return -1;
  } else {
    sbuf msg = {0};
    sb_puts(&msg, "{\"op\":");
    sb_jstrz(&msg, op);
    sb_puts(&msg, ",\"args\":");
    json_write(&msg, args);
    sb_putc(&msg, '}');
    int rc = msg.oflow ? fail(e, "internal", "out of memory") : proc_call(k, &msg, -1, &reply, e);
    sb_free(&msg);
    if (rc) return rc;
  }
  char why[256];
  if (sess.mech && sess.mech->polluted && sess.mech->polluted(why, sizeof why)) return fail(e, "unsupported", "%s", why);
  const char *ret = "ok";
  if (reply) {
    const jval *d = json_get(reply, "delta");
    if (d && d->t == J_NUM) delta = (long)d->i;
    ret = json_str(reply, "ret");
    if (!ret) return fail(e, "internal", "reply without ret");
  }
  sess.sum += delta;
  sb_puts(out, "{\"ret\":");
  sb_jstrz(out, ret);
  static const char *const extra[] = {"errno", "signal", "si_code"};
  for (size_t j = 0; reply && j < sizeof extra / sizeof *extra; j++) {
    const char *v = json_str(reply, extra[j]);
    if (v) {
      sb_printf(out, ",\"%s\":", extra[j]);
      sb_jstrz(out, v);
    }
  }
  const jval *value = reply ? json_get(reply, "value") : NULL;
  if (value && value->t == J_NUM && value->is_int) sb_printf(out, ",\"value\":%lld", (long long)value->i);
  sb_puts(out, ",\"observation\":");
  write_observation(out);
  sb_putc(out, '}');
  return 0;
}

/* ---- methods ---- */

static char *kconfig_json; /* cached "{...}" or "" when unavailable */

static void load_kconfig(void) {
  const char *const *want = probe_kconfig;
  if (kconfig_json) return;
  kconfig_json = "";
  if (access("/proc/config.gz", R_OK)) return;
  FILE *f = popen("gzip -dc /proc/config.gz 2>/dev/null", "r");
  if (!f) return;
  sbuf b = {0};
  char line[512];
  int n = 0;
  sb_putc(&b, '{');
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    const char *key = line, *val = NULL;
    char *eq = strchr(line, '=');
    if (!strncmp(line, "# CONFIG_", 9) && strstr(line, " is not set")) {
      key = line + 2;
      *strchr(line + 2, ' ') = 0;
      val = "n";
    } else if (!strncmp(line, "CONFIG_", 7) && eq) {
      *eq = 0;
      val = eq + 1;
    }
    if (!val || !is_one_of(key, want)) continue;
    size_t vl = strlen(val);
    if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') val++, vl -= 2;
    sb_printf(&b, "%s\"%s\":", n++ ? "," : "", key);
    sb_jstr(&b, val, vl);
  }
  sb_putc(&b, '}');
  int st = pclose(f);
  if (st == 0 && n && !b.oflow) kconfig_json = b.p;
  else sb_free(&b);
}

static int m_hello(const jval *params, sbuf *res, rpc_err *e) {
  const jval *pr = json_get(params, "protocol");
  if (pr && !(pr->t == J_NUM && pr->is_int && pr->i == 1))
    return fail(e, "unsupported", "only protocol 1 is spoken here");
  struct utsname u;
  const char *rel = uname(&u) ? NULL : u.release;
  load_kconfig();
  sb_puts(res, "{\"protocol\":1,\"implementation\":{\"name\":\"linux-probe\",\"version\":\"1\",\"mechanisms\":[");
  for (int k = 0; probe_mechanisms[k]; k++) {
    if (k) sb_putc(res, ',');
    sb_jstrz(res, probe_mechanisms[k]->name);
  }
  sb_puts(res, "],\"layers\":[\"abi\"],\"kernel\":");
  if (rel) sb_jstrz(res, rel);
  else sb_puts(res, "null");
  if (*kconfig_json) {
    sb_puts(res, ",\"config\":");
    sb_puts(res, kconfig_json);
  }
  sb_puts(res, "}}");
  return 0;
}

static int has_cap_sys_admin(void) {
  char buf[4096];
  int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  const char *p = strstr(buf, "CapEff:");
  if (!p) return 0;
  unsigned long long caps = strtoull(p + 7, NULL, 16);
  return (caps >> 21) & 1; /* CAP_SYS_ADMIN */
}

/* ---- the relay's side of a mechanism's open (probe.h) ---- */

int relay_skip(sbuf *res, const char *reason, int lacks) {
  sb_puts(res, "{\"skip\":");
  sb_jstrz(res, reason);
  sb_puts(res, lacks ? ",\"lacks\":true}" : "}");
  return 0;
}

int relay_skip_polluted(sbuf *res, const char *reason) {
  sb_puts(res, "{\"skip\":");
  sb_jstrz(res, reason);
  sb_puts(res, ",\"polluted\":true}");
  return 0;
}

int relay_privileged(sbuf *res) {
  if (geteuid() != 0) return relay_skip(res, "needs root to change machine-wide settings", 0), 0;
  if (!has_cap_sys_admin()) return relay_skip(res, "this process lacks CAP_SYS_ADMIN", 0), 0;
  return 1;
}

int relay_disposable(void) {
  const char *env = getenv("MMSPEC_DISPOSABLE_MACHINE");
  return device_mode || (env && !strcmp(env, "1"));
}

const char *relay_mount_prefix(void) { return sess_mnt; }

long relay_committed_as(void) { return sess.baseline + sess.sum; }

int relay_save_knobs(sbuf *res) {
  for (int k = 0; probe_knobs[k].name; k++) {
    int err = knob_read(k, knobs_orig[k], KNOB_LEN);
    if (err == ENOENT && probe_knob_more[k].optional) {
      knobs_orig[k][0] = 0; /* absent on this kernel: nothing to put back */
      continue;
    }
    if (err) {
      char why[200];
      snprintf(why, sizeof why, "cannot read %s: %s", probe_knobs[k].path, errno_name(err));
      return relay_skip(res, why, 0), -1;
    }
  }
  knobs_saved = 1;
  return 0;
}

int relay_apply_knob(const char *name, long long v, sbuf *res) {
  char s[32], cur[32], why[240];
  int k = knob_index(name);
  if (k < 0) {
    snprintf(why, sizeof why, "the probe knows no knob '%.64s'", name);
    relay_end_session();
    return relay_skip(res, why, 0), -1;
  }
  snprintf(s, sizeof s, "%lld", v);
  int err = knob_write(k, s);
  if (!err) err = knob_read(k, cur, sizeof cur);
  if (!err && !strcmp(cur, s)) return 0;
  if (err) snprintf(why, sizeof why, "cannot set %s=%s: %s", probe_knobs[k].path, s, errno_name(err));
  else snprintf(why, sizeof why, "%s reads %s after writing %s (the kernel could not do it)", probe_knobs[k].path, cur, s);
  relay_end_session(); /* the session's processes, then the knobs */
  return relay_skip(res, why, 0), -1;
}

void relay_end_session(void) { end_session(); }

int relay_spawn(const char *params, rpc_err *e) {
  spawned = 1;
  snprintf(sess.id, sizeof sess.id, "s%d", ++session_count);
  snprintf(sess_mnt, sizeof sess_mnt, "%s/%d-%s-", mnt_base(), (int)getpid(), sess.id);
  if (spawn_main(params, e)) {
    end_session();
    return -1;
  }
  return 0;
}

int relay_main_call(const char *op, jval **reply, rpc_err *e) {
  sbuf msg = {0};
  sb_puts(&msg, "{\"op\":");
  sb_jstrz(&msg, op);
  sb_puts(&msg, ",\"args\":{}}");
  int rc = msg.oflow ? fail(e, "internal", "out of memory") : proc_call(0, &msg, -1, reply, e);
  sb_free(&msg);
  return rc;
}

int relay_open_session(sbuf *res) {
  sess.open = 1;
  sess.sum = 0;
  sess.baseline = committed_as_kb();
  sb_puts(res, "{\"session\":");
  sb_jstrz(res, sess.id);
  sb_putc(res, '}');
  return 0;
}

static int m_open(const jval *params, sbuf *res, rpc_err *e) {
  const char *mech = json_str(params, "mechanism");
  const jval *cfg = json_get(params, "config");
  if (!mech) return fail(e, "invalid", "open needs a mechanism");
  if (!cfg || cfg->t != J_OBJ) return fail(e, "invalid", "open needs a config object");
  const probe_mechanism *m = mechanism_named(mech);
  if (!m) return fail(e, "unsupported", "mechanism '%.64s' is not implemented", mech);
  if (sess.open) return fail(e, "unsupported", "one session at a time: close %s first", sess.id);
  sess.mech = m;
  int rc = m->open(cfg, res, e);
  if (!sess.open) sess.mech = NULL;
  return rc;
}

static int check_session(const jval *params, rpc_err *e) {
  const char *id = json_str(params, "session");
  if (!id) return fail(e, "invalid", "params.session must be a string");
  if (!sess.open || strcmp(id, sess.id)) return fail(e, "invalid", "no open session '%.32s'", id);
  return 0;
}

static int m_step(const jval *params, sbuf *res, rpc_err *e) {
  if (check_session(params, e)) return -1;
  return run_step(json_get(params, "step"), res, e);
}

static int m_steps(const jval *params, sbuf *res, rpc_err *e) {
  if (check_session(params, e)) return -1;
  const jval *steps = json_get(params, "steps");
  if (!steps || steps->t != J_ARR) return fail(e, "invalid", "params.steps must be an array");
  sb_puts(res, "{\"results\":[");
  int i = 0;
  for (const jval *s = steps->child; s; s = s->next, i++) {
    size_t mark = res->len;
    if (i) sb_putc(res, ',');
    if (run_step(s, res, e)) {
      /* Tell which step failed and what the earlier ones returned. */
      res->len = mark;
      sbuf d = {0};
      sb_printf(&d, "{\"step\":%d,\"results\":", i);
      sb_putn(&d, res->p + 11, res->len - 11); /* after {"results": */
      sb_puts(&d, "]}");
      e->detail = d.oflow ? NULL : d.p;
      if (d.oflow) sb_free(&d);
      return -1;
    }
  }
  sb_puts(res, "]}");
  return 0;
}

static int m_observe(const jval *params, sbuf *res, rpc_err *e) {
  if (check_session(params, e)) return -1;
  sb_puts(res, "{\"observation\":");
  write_observation(res);
  sb_putc(res, '}');
  return 0;
}

static int m_close(const jval *params, sbuf *res, rpc_err *e) {
  if (check_session(params, e)) return -1;
  end_session();
  sb_puts(res, "{}");
  return 0;
}

static void handle_line(char *line, size_t len) {
  while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t')) line[--len] = 0;
  size_t lead = strspn(line, " \t");
  if (lead == len) return; /* blank line */
  jarena_reset(&arena);
  rpc_err e = {0};
  sbuf res = {0};
  int has_id = 0;
  long long id = 0;
  char perr[96];
  jval *req = json_parse(&arena, line, len, perr, sizeof perr);
  if (!req) {
    fail(&e, "invalid", "parse error: %s", perr);
  } else if (req->t != J_OBJ) {
    fail(&e, "invalid", "a request must be a JSON object");
  } else {
    const jval *idv = json_get(req, "id");
    if (idv && idv->t == J_NUM && idv->is_int) has_id = 1, id = idv->i;
    const char *ver = json_str(req, "jsonrpc");
    const char *method = json_str(req, "method");
    const jval *params = json_get(req, "params");
    static const jval empty = {.t = J_OBJ};
    if (!params) params = &empty;
    static const struct {
      const char *name;
      int (*fn)(const jval *, sbuf *, rpc_err *);
    } methods[] = {{"hello", m_hello}, {"open", m_open},       {"step", m_step},
                   {"steps", m_steps}, {"observe", m_observe}, {"close", m_close}};
    int found = 0;
    if (!has_id) fail(&e, "invalid", "a request needs an integer id");
    else if (json_get(req, "jsonrpc") && (!ver || strcmp(ver, "2.0"))) fail(&e, "invalid", "jsonrpc must be \"2.0\"");
    else if (!method) fail(&e, "invalid", "a request needs a method");
    else if (params->t != J_OBJ) fail(&e, "invalid", "params must be an object");
    else
      for (size_t k = 0; k < sizeof methods / sizeof *methods && !found; k++)
        if (!strcmp(method, methods[k].name)) {
          found = 1;
          methods[k].fn(params, &res, &e);
        }
    if (has_id && method && !e.kind && !found) fail(&e, "invalid", "unknown method '%.64s'", method);
  }
  if (!e.kind && res.oflow) fail(&e, "internal", "out of memory");
  respond(has_id, id, &res, e.kind ? &e : NULL);
  sb_free(&res);
  free(e.detail);
}

/* ---- main ---- */

/* The kernel hands out address space top down, from below the lowest mapping.
 * A PROT_NONE filler from the first PMD boundary under it up to it makes that
 * a PMD boundary, as a model of the process assumes. */
static void align_mmap_top(void) {
  const size_t pmd = 2UL << 20, len = pmd + PROBE_PAGE; /* not whole PMDs: not THP-aligned */
  char *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return;
  uintptr_t top = (uintptr_t)p + len, floor = top & ~(uintptr_t)(pmd - 1);
  munmap(p, floor - (uintptr_t)p);
}

static void set_raw(int fd) {
  struct termios t;
  if (tcgetattr(fd, &t)) return; /* not a tty */
  cfmakeraw(&t);
  tcsetattr(fd, TCSANOW, &t);
}

int main(int argc, char **argv) {
  if (argc == 2 && !strncmp(argv[1], "--serve=", 8)) { /* the session's main process (spawn_main) */
    int fd = atoi(argv[1] + 8);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    fill_own_holes();
    align_mmap_top();
    proc_serve(fd);
  }
  if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
    fprintf(stderr, "usage: %s [DEVICE]\n  speaks the mmspec line protocol on stdin/stdout, or on DEVICE\n",
            argv[0]);
    return 2;
  }
  if (argc == 2) {
    int fd = open(argv[1], O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
      fprintf(stderr, "probe: open %s: %s\n", argv[1], strerror(errno));
      return 1;
    }
    set_raw(fd);
    in_fd = out_fd = fd;
    device_mode = 1;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, NULL);
  sa.sa_handler = on_fatal;
  sigaddset(&sa.sa_mask, SIGTERM);
  sigaddset(&sa.sa_mask, SIGINT);
  sigaddset(&sa.sa_mask, SIGHUP);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  rxbuf = malloc(PROBE_MSG_MAX + 1);
  size_t acap = 256 * 1024;
  char *ablock = malloc(acap);
  if (!rxbuf || !ablock) {
    fprintf(stderr, "probe: out of memory\n");
    return 1;
  }
  jarena_init(&arena, ablock, acap, 1);

  char *buf = NULL;
  size_t len = 0, cap = 0;
  int discarding = 0, eof = 0;
  while (!eof) {
    if (cap - len < 65536) {
      size_t ncap = cap ? cap * 2 : 131072;
      char *nb = realloc(buf, ncap);
      if (!nb) {
        fprintf(stderr, "probe: out of memory\n");
        break;
      }
      buf = nb, cap = ncap;
    }
    ssize_t k = read(in_fd, buf + len, cap - len - 1);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      eof = 1;
      if (len && !discarding) buf[len++] = '\n'; /* a last line without newline */
    } else {
      len += (size_t)k;
    }
    size_t start = 0;
    for (;;) {
      char *nl = memchr(buf + start, '\n', len - start);
      if (!nl) break;
      *nl = 0;
      if (!discarding) handle_line(buf + start, (size_t)(nl - (buf + start)));
      discarding = 0;
      start = (size_t)(nl - buf) + 1;
    }
    memmove(buf, buf + start, len - start);
    len -= start;
    if (len > MAX_LINE) { /* answer once, then drop the rest of this line */
      if (!discarding) {
        rpc_err e = {0};
        fail(&e, "invalid", "request line longer than %u bytes", MAX_LINE);
        respond(0, 0, NULL, &e);
      }
      discarding = 1;
      len = 0;
    }
  }
  free(buf);
  end_session();
  return 0;
}
