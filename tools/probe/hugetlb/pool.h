/* pool.h - the huge page pool as a session sees it. Pages others hold
 * reserved on an otherwise idle pool (a leak, or another user's mapping) stay
 * out of the session's sight: the pool gets that many more pages, and every
 * count is reported net of them. Used by the mechanisms that touch the pool. */
#ifndef MMSPEC_HUGETLB_POOL_H
#define MMSPEC_HUGETLB_POOL_H

#include "probe.h"

/* Huge pages others hold reserved while the pool is otherwise idle, or -1
 * when others have pages in use (which no offset can hide). */
long pool_foreign_reserved(void);
/* The session's offset: set by the relay at open, told to session processes. */
void pool_set_offset(long pages);
long pool_offset(void);
/* The session parameters that carry the offset, and reading them back. */
void pool_params(sbuf *json);
void pool_session(const jval *params);
/* Writes vm.nr_hugepages = pages + the offset; 0 or an errno. A pool that could not grow that
 * far (free memory ran out) answers r unsupported: no model knows how far it gets. */
int nr_hugepages_write(unsigned long long pages, step_res *r);
/* A pool count (HugePages_Total, _Free, _Rsvd, nr_hugepages) net of the offset;
 * other fields as they are. */
long pool_net(const char *key, long v);
/* Others' reservations (the offset) sit under the session's, on free pages of their own. Once
 * a kernel accounting bug takes the session's own count below zero, the kernel's checks meet
 * them where a clean machine's count would have wrapped; once a fault or fallocate that finds
 * Rsvd above Free takes one of those free pages, the session holds a page a clean machine
 * would not have. What follows is then no longer the kernel alone: 1, with the reason in
 * why[n] (the relay answers the step unsupported). The mechanisms' `polluted`. */
int pool_polluted(char *why, size_t n);

#endif
