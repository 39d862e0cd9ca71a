/* opt/checkpoint.c: binary checkpoint writer and reader (see checkpoint.h for the
 * format). The file ends with a CRC-32 of its contents, so truncation and corruption
 * are caught before any field is trusted. */
#include "opt/checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/atomicfile.h"

#define MAGIC "EMOMCKP1"
#define MAX_ROWS 100000000

/* ---- a growable byte buffer -------------------------------------------------------- */
typedef struct buf {
    unsigned char *p;
    size_t n, cap;
    int bad;
} buf;

static void put(buf *b, const void *data, size_t len)
{
    if (b->bad) return;
    if (b->n + len > b->cap) {
        size_t c = b->cap ? b->cap : 4096;
        while (c < b->n + len) c *= 2;
        unsigned char *q = realloc(b->p, c);
        if (!q) {
            b->bad = 1;
            return;
        }
        b->p = q;
        b->cap = c;
    }
    memcpy(b->p + b->n, data, len);
    b->n += len;
}

static void put_i64(buf *b, int64_t v) { put(b, &v, sizeof v); }
static void put_u64(buf *b, uint64_t v) { put(b, &v, sizeof v); }

static void put_pop(buf *b, const opt_pop *pop)
{
    put_i64(b, pop->n);
    size_t n = (size_t)pop->n;
    put(b, pop->X, sizeof(double) * n * pop->n_var);
    put(b, pop->F, sizeof(double) * n * pop->n_obj);
    if (pop->n_con) put(b, pop->G, sizeof(double) * n * pop->n_con);
    put(b, pop->CV, sizeof(double) * n);
    put(b, pop->sec, sizeof(double) * n);
    put(b, pop->rank, sizeof(int) * n);
    put(b, pop->crowd, sizeof(double) * n);
}

int opt_checkpoint_write(const char *path, const opt_checkpoint *ck, em_error *err)
{
    if (ck->n_pops < 0 || ck->n_pops > OPT_CKPT_MAX_POPS)
        return em_fail(err, EM_EINVAL, "%s: checkpoint has %d populations (max %d)", path,
                       ck->n_pops, OPT_CKPT_MAX_POPS);
    buf b = {0};
    put(&b, MAGIC, 8);
    put(&b, ck->algorithm, sizeof ck->algorithm);
    put(&b, ck->problem, sizeof ck->problem);
    put_i64(&b, ck->n_var);
    put_i64(&b, ck->n_obj);
    put_i64(&b, ck->n_con);
    put_u64(&b, ck->seed);
    put_i64(&b, ck->pop_size);
    put_i64(&b, ck->gen);
    for (int i = 0; i < 4; i++) put_u64(&b, ck->rng.s[i]);
    put(&b, ck->extra, sizeof ck->extra);
    put_i64(&b, ck->n_pops);
    for (int i = 0; i < ck->n_pops; i++) put_pop(&b, ck->pops[i]);
    put_i64(&b, ck->evals ? 1 : 0);
    if (ck->evals) put_pop(&b, ck->evals);
    uint32_t crc = (uint32_t)crc32(0L, b.p, (uInt)b.n);
    put(&b, &crc, sizeof crc);
    if (b.bad) {
        free(b.p);
        return em_fail(err, EM_ENOMEM, "%s: out of memory", path);
    }
    int rc = em_atomic_write(path, b.p, b.n, err);
    free(b.p);
    return rc;
}

/* ---- reading --------------------------------------------------------------------- */
typedef struct rd {
    const unsigned char *p;
    size_t n, off;
    int bad;
} rd;

static void get(rd *r, void *out, size_t len)
{
    if (r->bad || r->n - r->off < len) {
        r->bad = 1;
        memset(out, 0, len);
        return;
    }
    memcpy(out, r->p + r->off, len);
    r->off += len;
}

static int64_t get_i64(rd *r)
{
    int64_t v;
    get(r, &v, sizeof v);
    return v;
}

static opt_pop *get_pop(rd *r, int nv, int no, int nc)
{
    int64_t n = get_i64(r);
    if (r->bad || n < 0 || n > MAX_ROWS) {
        r->bad = 1;
        return NULL;
    }
    /* the rows must fit in what is left of the file before allocating for them */
    size_t row = sizeof(double) * (size_t)(nv + no + nc + 3) + sizeof(int);
    if ((size_t)n > (r->n - r->off) / row) {
        r->bad = 1;
        return NULL;
    }
    opt_pop *pop = opt_pop_new(nv, no, nc, (int)n);
    if (!pop) {
        r->bad = 2;
        return NULL;
    }
    pop->n = (int)n;
    get(r, pop->X, sizeof(double) * n * nv);
    get(r, pop->F, sizeof(double) * n * no);
    if (nc) get(r, pop->G, sizeof(double) * n * nc);
    get(r, pop->CV, sizeof(double) * n);
    get(r, pop->sec, sizeof(double) * n);
    get(r, pop->rank, sizeof(int) * n);
    get(r, pop->crowd, sizeof(double) * n);
    return pop;
}

void opt_checkpoint_clear(opt_checkpoint *ck)
{
    for (int i = 0; i < OPT_CKPT_MAX_POPS; i++) opt_pop_free(ck->pops[i]);
    opt_pop_free(ck->evals);
    memset(ck, 0, sizeof *ck);
}

int opt_checkpoint_read(const char *path, opt_checkpoint *ck, em_error *err)
{
    memset(ck, 0, sizeof *ck);
    FILE *fp = fopen(path, "rb");
    if (!fp) return em_fail(err, EM_EIO, "%s: cannot open checkpoint", path);
    unsigned char *data = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            unsigned char *q = realloc(data, cap);
            if (!q) {
                free(data);
                fclose(fp);
                return em_fail(err, EM_ENOMEM, "%s: out of memory", path);
            }
            data = q;
        }
        size_t got = fread(data + n, 1, cap - n, fp);
        n += got;
        if (got == 0) break;
    }
    int io = ferror(fp);
    fclose(fp);
    if (io) {
        free(data);
        return em_fail(err, EM_EIO, "%s: read error", path);
    }
    if (n < 12 || memcmp(data, MAGIC, 8)) {
        free(data);
        return em_fail(err, EM_EFORMAT, "%s: not an emomc checkpoint (bad magic)", path);
    }
    uint32_t crc;
    memcpy(&crc, data + n - 4, 4);
    if ((uint32_t)crc32(0L, data, (uInt)(n - 4)) != crc) {
        free(data);
        return em_fail(err, EM_EFORMAT, "%s: checkpoint is truncated or corrupt (CRC mismatch)",
                       path);
    }
    rd r = {data, n - 4, 8, 0};
    get(&r, ck->algorithm, sizeof ck->algorithm);
    get(&r, ck->problem, sizeof ck->problem);
    ck->algorithm[sizeof ck->algorithm - 1] = 0;
    ck->problem[sizeof ck->problem - 1] = 0;
    int64_t nv = get_i64(&r), no = get_i64(&r), nc = get_i64(&r);
    get(&r, &ck->seed, sizeof ck->seed);
    int64_t ps = get_i64(&r), gen = get_i64(&r);
    for (int i = 0; i < 4; i++) get(&r, &ck->rng.s[i], sizeof(uint64_t));
    get(&r, ck->extra, sizeof ck->extra);
    int64_t np = get_i64(&r);
    if (r.bad || nv < 1 || nv > 1000000 || no < 1 || no > 1000 || nc < 0 || nc > 100000 ||
        ps < 0 || ps > MAX_ROWS || gen < 0 || gen > MAX_ROWS || np < 0 || np > OPT_CKPT_MAX_POPS) {
        free(data);
        memset(ck, 0, sizeof *ck);
        return em_fail(err, EM_EFORMAT, "%s: checkpoint header is invalid", path);
    }
    ck->n_var = (int)nv;
    ck->n_obj = (int)no;
    ck->n_con = (int)nc;
    ck->pop_size = (int)ps;
    ck->gen = (int)gen;
    ck->n_pops = (int)np;
    for (int i = 0; i < ck->n_pops && !r.bad; i++) ck->pops[i] = get_pop(&r, ck->n_var, ck->n_obj, ck->n_con);
    if (!r.bad && get_i64(&r) == 1) ck->evals = get_pop(&r, ck->n_var, ck->n_obj, ck->n_con);
    int bad = r.bad || r.off != r.n;
    free(data);
    if (bad) {
        opt_checkpoint_clear(ck);
        if (r.bad == 2) return em_fail(err, EM_ENOMEM, "%s: out of memory", path);
        return em_fail(err, EM_EFORMAT, "%s: checkpoint body is inconsistent with its header", path);
    }
    return EM_OK;
}

int opt_checkpoint_check(const opt_checkpoint *ck, const char *algorithm, const opt_problem *p,
                         uint64_t seed, int pop_size, em_error *err)
{
    if (strcmp(ck->algorithm, algorithm))
        return em_fail(err, EM_EINVAL, "checkpoint: algorithm is %s, not %s", ck->algorithm, algorithm);
    if (strcmp(ck->problem, p->name))
        return em_fail(err, EM_EINVAL, "checkpoint: problem is %s, not %s", ck->problem, p->name);
    if (ck->n_var != p->n_var || ck->n_obj != p->n_obj || ck->n_con != p->n_con)
        return em_fail(err, EM_EINVAL, "checkpoint: problem size is %d vars / %d objs / %d cons, "
                       "not %d / %d / %d", ck->n_var, ck->n_obj, ck->n_con, p->n_var, p->n_obj,
                       p->n_con);
    if (ck->seed != seed)
        return em_fail(err, EM_EINVAL, "checkpoint: seed is %llu, not %llu",
                       (unsigned long long)ck->seed, (unsigned long long)seed);
    if (ck->pop_size != pop_size)
        return em_fail(err, EM_EINVAL, "checkpoint: population size is %d, not %d", ck->pop_size,
                       pop_size);
    return EM_OK;
}
