/* search/parallel.h: a fan-out of independent work items over a few threads, for
 * measuring several candidates at once (config key parallel_candidates,
 * docs/search.md). Each thread is a "worker" with an index the caller uses to pick
 * its own scratch (search/problem.c: a work network per worker); items are handed
 * out in increasing order, so which worker runs an item is not fixed, and its result
 * must not depend on that. */
#ifndef EMOMC_SEARCH_PARALLEL_H
#define EMOMC_SEARCH_PARALLEL_H

#include "../common/error.h"

/* Runs fn(user, worker, item, err) for item 0 .. n_items-1 on n_workers threads
 * (worker 0 is the calling thread; n_workers <= 1 runs every item in turn on it).
 * A failing item stops workers from taking further items; the error returned is that
 * of the lowest failing item index, so it is the one a serial loop would have hit
 * first among the items run. */
typedef int (*sp_parallel_fn)(void *user, int worker, int item, em_error *err);
int sp_parallel_for(int n_workers, int n_items, sp_parallel_fn fn, void *user, em_error *err);

#endif
