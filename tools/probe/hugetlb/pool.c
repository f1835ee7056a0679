/* pool.c - the huge page pool net of others' reservations (pool.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

static long offset;

long pool_foreign_reserved(void) {
  const char *mi = meminfo_snapshot();
  long total = meminfo_field(mi, "HugePages_Total"), freep = meminfo_field(mi, "HugePages_Free"),
       rsvd = meminfo_field(mi, "HugePages_Rsvd");
  if (total < 0 || rsvd < 0) return 0;
  return total == freep && rsvd <= freep ? rsvd : -1;
}

void pool_set_offset(long pages) { offset = pages; }
long pool_offset(void) { return offset; }

void pool_params(sbuf *json) { sb_printf(json, "\"hp_offset\":%ld", offset); }

void pool_session(const jval *params) {
  const jval *v = json_get(params, "hp_offset");
  offset = v && v->t == J_NUM ? (long)v->i : 0;
}

int nr_hugepages_write(unsigned long long pages, step_res *r) {
  char val[32];
  snprintf(val, sizeof val, "%llu", pages + (unsigned long long)offset);
  int k = knob_index("nr_hugepages");
  int e = k < 0 ? ENOENT : knob_write(k, val);
  if (e) return e;
  /* The kernel grows the pool only as far as free memory lets it, and says so by holding fewer. */
  char got[32];
  if (!knob_read(k, got, sizeof got) && strtoull(got, NULL, 10) < pages + (unsigned long long)offset)
    res_error(r, "unsupported", "the machine holds %lld of the %llu huge pages asked for: how far a pool grows depends on free memory",
              strtoll(got, NULL, 10) - offset, pages);
  return 0;
}

int pool_polluted(char *why, size_t n) {
  const char *mi = offset > 0 ? meminfo_snapshot() : NULL;
  if (!mi) return 0;
  long rsvd = meminfo_field(mi, "HugePages_Rsvd"), freep = meminfo_field(mi, "HugePages_Free");
  if (rsvd < offset)
    snprintf(why, n, "polluted: the session's huge page reservations fell %ld below zero, into the %ld others hold", offset - rsvd,
             offset);
  else if (freep >= 0 && freep < offset)
    snprintf(why, n, "polluted: the session took %ld of the %ld free huge pages others hold reserved", offset - freep, offset);
  else
    return 0;
  return 1;
}

long pool_net(const char *key, long v) {
  static const char *const pooled[] = {"HugePages_Total", "HugePages_Free", "HugePages_Rsvd", "nr_hugepages", NULL};
  for (size_t k = 0; pooled[k]; k++)
    if (v >= 0 && !strcmp(key, pooled[k])) return v - offset;
  return v;
}
