/* search/parallel.c: sp_parallel_for (see parallel.h), with POSIX threads: worker 0
 * is the caller, workers 1.. are threads started for the call and joined before it
 * returns; a mutex guards the next item and the first error. */
#include "search/parallel.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct pool {
    sp_parallel_fn fn;
    void *user;
    int n_items;
    pthread_mutex_t lock;
    int next;          /* the next item to hand out */
    int failed_item;   /* lowest failing item, n_items when none */
    em_error err;      /* its error */
} pool;

typedef struct worker_arg {
    pool *p;
    int worker;
} worker_arg;

/* The next item, or -1 once every item is taken or one has failed. */
static int take(pool *p)
{
    pthread_mutex_lock(&p->lock);
    int i = p->failed_item < p->n_items || p->next >= p->n_items ? -1 : p->next++;
    pthread_mutex_unlock(&p->lock);
    return i;
}

static void fail(pool *p, int item, int rc, const em_error *e)
{
    pthread_mutex_lock(&p->lock);
    if (item < p->failed_item) {
        p->failed_item = item;
        p->err = *e;
        p->err.code = (em_status)rc;
    }
    pthread_mutex_unlock(&p->lock);
}

static void *work(void *arg)
{
    worker_arg *a = arg;
    for (int i; (i = take(a->p)) >= 0;) {
        em_error e = {0};
        int rc = a->p->fn(a->p->user, a->worker, i, &e);
        if (rc) fail(a->p, i, rc, &e);
    }
    return NULL;
}

int sp_parallel_for(int n_workers, int n_items, sp_parallel_fn fn, void *user, em_error *err)
{
    if (n_items <= 0) return EM_OK;
    if (n_workers > n_items) n_workers = n_items;
    if (n_workers <= 1) {
        for (int i = 0; i < n_items; i++) {
            int rc = fn(user, 0, i, err);
            if (rc) return rc;
        }
        return EM_OK;
    }
    pool p = {.fn = fn, .user = user, .n_items = n_items, .failed_item = n_items};
    pthread_t *tid = malloc(sizeof *tid * (size_t)n_workers);
    worker_arg *args = malloc(sizeof *args * (size_t)n_workers);
    if (!tid || !args || pthread_mutex_init(&p.lock, NULL)) {
        free(tid), free(args);
        return em_fail(err, EM_ENOMEM, "parallel evaluation: cannot set up %d workers", n_workers);
    }
    int started = 1; /* worker 0 is this thread */
    for (int w = 1; w < n_workers; w++, started++) {
        args[w] = (worker_arg){&p, w};
        if (pthread_create(&tid[w], NULL, work, &args[w])) break;
    }
    args[0] = (worker_arg){&p, 0};
    work(&args[0]);
    for (int w = 1; w < started; w++) pthread_join(tid[w], NULL);
    pthread_mutex_destroy(&p.lock);
    free(tid), free(args);
    if (p.failed_item < n_items) {
        if (err) *err = p.err;
        return p.err.code;
    }
    return EM_OK;
}
