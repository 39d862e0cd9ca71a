/* opt/checkpoint.c: the checkpoint of a run (see checkpoint.h for the format): a small
 * state file rewritten atomically each generation, and an append-only archive of the
 * evaluations whose records carry chained CRC-32s, so a torn tail is told apart from
 * the prefix the state vouches for. Also the old whole-file writer, for the
 * benchmark only. */
#include "opt/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/atomicfile.h"

#define MAGIC_STATE "EMOMCKP2"
#define MAGIC_OLD "EMOMCKP1"
#define MAGIC_ARCHIVE "EMOMCAR1"
#define RECORD_MAGIC 0x52414d45u /* "EMAR" */
#define MAX_ROWS 100000000
#define ARCHIVE_HEADER 36        /* magic, n_var, n_obj, n_con, CRC */

static int bench_full_rewrite;

void opt_checkpoint_bench_full_rewrite(int on) { bench_full_rewrite = on; }

int opt_checkpoint_archive_path(const char *path, char *buf, size_t size, em_error *err)
{
    if (snprintf(buf, size, "%s.archive", path) >= (int)size)
        return em_fail(err, EM_EINVAL, "%s.archive: path too long", path);
    return EM_OK;
}

/* ---- a growable byte buffer -------------------------------------------------------- */
typedef struct buf {
    unsigned char *p;
    size_t n, cap;
    int bad;
} buf;

static void put(buf *b, const void *data, size_t len)
{
    if (b->bad || len == 0) return;
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
static void put_u32(buf *b, uint32_t v) { put(b, &v, sizeof v); }

/* Rows [from, to) of pop, column block by column block; with_scratch adds rank and
 * crowd (the populations need them, the archive does not). */
static void put_rows(buf *b, const opt_pop *pop, int from, int to, int with_scratch)
{
    size_t n = (size_t)(to - from), f = (size_t)from;
    put(b, pop->X + f * pop->n_var, sizeof(double) * n * pop->n_var);
    put(b, pop->F + f * pop->n_obj, sizeof(double) * n * pop->n_obj);
    if (pop->n_con) put(b, pop->G + f * pop->n_con, sizeof(double) * n * pop->n_con);
    put(b, pop->CV + f, sizeof(double) * n);
    put(b, pop->sec + f, sizeof(double) * n);
    if (with_scratch) {
        put(b, pop->rank + f, sizeof(int) * n);
        put(b, pop->crowd + f, sizeof(double) * n);
    }
}

static void put_pop(buf *b, const opt_pop *pop)
{
    put_i64(b, pop->n);
    put_rows(b, pop, 0, pop->n, 1);
}

static void put_header(buf *b, const char *magic, const opt_checkpoint *ck)
{
    put(b, magic, 8);
    put(b, ck->algorithm, sizeof ck->algorithm);
    put(b, ck->problem, sizeof ck->problem);
    put_i64(b, ck->n_var);
    put_i64(b, ck->n_obj);
    put_i64(b, ck->n_con);
    put_u64(b, ck->seed);
    put_i64(b, ck->pop_size);
    put_i64(b, ck->gen);
    for (int i = 0; i < 4; i++) put_u64(b, ck->rng.s[i]);
    put(b, ck->extra, sizeof ck->extra);
}

/* The format before the append-only archive: everything in one file, every time. */
static int write_full(const char *path, const opt_checkpoint *ck, em_error *err)
{
    buf b = {0};
    put_header(&b, MAGIC_OLD, ck);
    put_i64(&b, ck->n_pops);
    for (int i = 0; i < ck->n_pops; i++) put_pop(&b, ck->pops[i]);
    put_i64(&b, ck->evals ? 1 : 0);
    if (ck->evals) put_pop(&b, ck->evals);
    put_u32(&b, (uint32_t)crc32(0L, b.p, (uInt)b.n));
    if (b.bad) {
        free(b.p);
        return em_fail(err, EM_ENOMEM, "%s: out of memory", path);
    }
    int rc = em_atomic_write(path, b.p, b.n, err);
    free(b.p);
    return rc;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Appends the record of evals rows [log->rows, evals->n) to the archive; the first
 * write creates the file (header and record) atomically. */
static int append_archive(const char *path, const opt_checkpoint *ck, opt_checkpoint_log *log,
                          em_error *err)
{
    char apath[4200];
    int rc = opt_checkpoint_archive_path(path, apath, sizeof apath, err);
    if (rc) return rc;
    const opt_pop *ev = ck->evals;
    long n = ev ? ev->n : 0;
    if (log->rows > n)
        return em_fail(err, EM_EINVAL, "%s: the archive holds %ld rows, more than the %ld "
                       "evaluations of the run", apath, log->rows, n);
    int fresh = log->bytes == 0;
    buf b = {0};
    uint32_t chain = log->chain;
    if (fresh) {
        put(&b, MAGIC_ARCHIVE, 8);
        put_i64(&b, ck->n_var);
        put_i64(&b, ck->n_obj);
        put_i64(&b, ck->n_con);
        chain = (uint32_t)crc32(0L, b.p, (uInt)b.n);
        put_u32(&b, chain);
    }
    if (n > log->rows) {
        size_t start = b.n;
        put_u32(&b, RECORD_MAGIC);
        put_u32(&b, 0);
        put_i64(&b, n - log->rows);
        put_rows(&b, ev, (int)log->rows, (int)n, 0);
        if (!b.bad) chain = (uint32_t)crc32(chain, b.p + start, (uInt)(b.n - start));
        put_u32(&b, chain);
    }
    if (b.bad) {
        free(b.p);
        return em_fail(err, EM_ENOMEM, "%s: out of memory", apath);
    }
    if (fresh) {
        rc = em_atomic_write(apath, b.p, b.n, err);
    } else if (b.n > 0 || !log->clean) {
        int fd = open(apath, O_WRONLY);
        if (fd < 0) rc = em_fail(err, EM_EIO, "%s: cannot open the archive: %s", apath, strerror(errno));
        /* a tail past the committed prefix (a torn or unvouched record) goes first */
        else if (!log->clean && ftruncate(fd, (off_t)log->bytes) != 0)
            rc = em_fail(err, EM_EIO, "%s: cannot truncate: %s", apath, strerror(errno));
        else if (lseek(fd, (off_t)log->bytes, SEEK_SET) < 0 || write_all(fd, b.p, b.n) != 0 ||
                 fsync(fd) != 0)
            rc = em_fail(err, EM_EIO, "%s: write error: %s", apath, strerror(errno));
        if (fd >= 0) close(fd);
    }
    free(b.p);
    if (rc) return rc;
    log->bytes += b.n;
    log->rows = n;
    log->chain = chain;
    log->clean = 1;
    return EM_OK;
}

int opt_checkpoint_write(const char *path, const opt_checkpoint *ck, opt_checkpoint_log *log,
                         em_error *err)
{
    if (ck->n_pops < 0 || ck->n_pops > OPT_CKPT_MAX_POPS)
        return em_fail(err, EM_EINVAL, "%s: checkpoint has %d populations (max %d)", path,
                       ck->n_pops, OPT_CKPT_MAX_POPS);
    if (bench_full_rewrite) return write_full(path, ck, err);
    opt_checkpoint_log next = *log;
    int rc = append_archive(path, ck, &next, err);
    if (rc) return rc;
    buf b = {0};
    put_header(&b, MAGIC_STATE, ck);
    put_i64(&b, ck->cache_hits);
    put_i64(&b, ck->n_pops);
    for (int i = 0; i < ck->n_pops; i++) put_pop(&b, ck->pops[i]);
    put_i64(&b, next.rows);
    put_u64(&b, next.bytes);
    put_u32(&b, next.chain);
    put_u32(&b, (uint32_t)crc32(0L, b.p, (uInt)b.n));
    if (b.bad) {
        free(b.p);
        return em_fail(err, EM_ENOMEM, "%s: out of memory", path);
    }
    rc = em_atomic_write(path, b.p, b.n, err);
    free(b.p);
    /* the archive has grown either way: later writes append after it */
    *log = next;
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

static uint32_t get_u32(rd *r)
{
    uint32_t v;
    get(r, &v, sizeof v);
    return v;
}

/* Reads n rows (as put_rows wrote them) into rows [at, at + n) of pop. */
static void get_rows(rd *r, opt_pop *pop, int at, int n, int with_scratch)
{
    size_t k = (size_t)n, a = (size_t)at;
    get(r, pop->X + a * pop->n_var, sizeof(double) * k * pop->n_var);
    get(r, pop->F + a * pop->n_obj, sizeof(double) * k * pop->n_obj);
    if (pop->n_con) get(r, pop->G + a * pop->n_con, sizeof(double) * k * pop->n_con);
    get(r, pop->CV + a, sizeof(double) * k);
    get(r, pop->sec + a, sizeof(double) * k);
    if (with_scratch) {
        get(r, pop->rank + a, sizeof(int) * k);
        get(r, pop->crowd + a, sizeof(double) * k);
    } else {
        memset(pop->rank + a, 0, sizeof(int) * k);
        memset(pop->crowd + a, 0, sizeof(double) * k);
    }
}

static size_t row_bytes(int nv, int no, int nc, int with_scratch)
{
    return sizeof(double) * (size_t)(nv + no + nc + 2) +
           (with_scratch ? sizeof(int) + sizeof(double) : 0);
}

static opt_pop *get_pop(rd *r, int nv, int no, int nc)
{
    int64_t n = get_i64(r);
    if (r->bad || n < 0 || n > MAX_ROWS) {
        r->bad = 1;
        return NULL;
    }
    /* the rows must fit in what is left of the file before allocating for them */
    if ((size_t)n > (r->n - r->off) / row_bytes(nv, no, nc, 1)) {
        r->bad = 1;
        return NULL;
    }
    opt_pop *pop = opt_pop_new(nv, no, nc, (int)(n ? n : 1));
    if (!pop) {
        r->bad = 2;
        return NULL;
    }
    pop->n = (int)n;
    get_rows(r, pop, 0, (int)n, 1);
    return pop;
}

void opt_checkpoint_clear(opt_checkpoint *ck)
{
    for (int i = 0; i < OPT_CKPT_MAX_POPS; i++) opt_pop_free(ck->pops[i]);
    opt_pop_free(ck->evals);
    memset(ck, 0, sizeof *ck);
}

/* Reads at most `limit` bytes of path (all of it when limit is 0). */
static int slurp(const char *path, const char *what, size_t limit, unsigned char **out,
                 size_t *len, em_error *err)
{
    *out = NULL;
    *len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return em_fail(err, EM_EIO, "%s: cannot open %s: %s", path, what, strerror(errno));
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
        size_t want = cap - n;
        if (limit && want > limit - n) want = limit - n;
        if (want == 0) break;
        size_t got = fread(data + n, 1, want, fp);
        n += got;
        if (got == 0) break;
    }
    int io = ferror(fp);
    fclose(fp);
    if (io) {
        free(data);
        return em_fail(err, EM_EIO, "%s: read error", path);
    }
    *out = data;
    *len = n;
    return EM_OK;
}

/* Reads the prefix of the archive that the state names (rows, bytes, chain) into a new
 * population. */
static int read_archive(const char *path, const opt_checkpoint *ck, const opt_checkpoint_log *want,
                        opt_pop **out, em_error *err)
{
    char apath[4200];
    int rc = opt_checkpoint_archive_path(path, apath, sizeof apath, err);
    if (rc) return rc;
    unsigned char *data;
    size_t n;
    if ((rc = slurp(apath, "the checkpoint archive", (size_t)want->bytes, &data, &n, err)))
        return rc;
    rc = EM_EFORMAT;
    opt_pop *pop = NULL;
    const char *why = NULL;
    if (n < want->bytes) {
        why = "is shorter than the checkpoint state says (truncated)";
        goto done;
    }
    rd r = {data, n, 0, 0};
    char magic[8];
    get(&r, magic, 8);
    int64_t nv = get_i64(&r), no = get_i64(&r), nc = get_i64(&r);
    uint32_t chain = (uint32_t)crc32(0L, data, 32);
    if (r.bad || memcmp(magic, MAGIC_ARCHIVE, 8)) {
        why = "is not an emomc checkpoint archive (bad magic)";
        goto done;
    }
    if (get_u32(&r) != chain) {
        why = "has a corrupt header (CRC mismatch)";
        goto done;
    }
    if (nv != ck->n_var || no != ck->n_obj || nc != ck->n_con) {
        why = "belongs to a problem of another size than the checkpoint state";
        goto done;
    }
    /* the rows the state names must fit in the archive's bytes before allocating for
     * them: a corrupt state must not ask for gigabytes (bytes >= ARCHIVE_HEADER was
     * checked with the state) */
    size_t rb = row_bytes(ck->n_var, ck->n_obj, ck->n_con, 0);
    if ((size_t)want->rows > (want->bytes - ARCHIVE_HEADER) / rb) {
        why = "holds fewer rows than the checkpoint state says (corrupt state or archive)";
        goto done;
    }
    pop = opt_pop_new(ck->n_var, ck->n_obj, ck->n_con, (int)(want->rows ? want->rows : 1));
    if (!pop) {
        rc = em_fail(err, EM_ENOMEM, "%s: out of memory", apath);
        goto done;
    }
    while (!r.bad && r.off < r.n) {
        size_t start = r.off;
        uint32_t m = get_u32(&r);
        (void)get_u32(&r);
        int64_t k = get_i64(&r);
        if (r.bad || m != RECORD_MAGIC || k <= 0 || k > want->rows - pop->n ||
            (size_t)k > (r.n - r.off) / rb) {
            why = "has a record that does not match the checkpoint state (corrupt or foreign)";
            goto done;
        }
        int at = pop->n;
        pop->n += (int)k;
        get_rows(&r, pop, at, (int)k, 0);
        chain = (uint32_t)crc32(chain, data + start, (uInt)(r.off - start));
        if (r.bad || get_u32(&r) != chain) {
            why = "has a corrupt record (CRC mismatch)";
            goto done;
        }
    }
    if (r.bad || pop->n != want->rows || chain != want->chain) {
        why = "is not the archive this checkpoint state was written with (CRC chain mismatch)";
        goto done;
    }
    rc = EM_OK;
done:
    free(data);
    if (why) rc = em_fail(err, EM_EFORMAT, "%s: the checkpoint archive %s", apath, why);
    if (rc) {
        opt_pop_free(pop);
        pop = NULL;
    }
    *out = pop;
    return rc;
}

int opt_checkpoint_read(const char *path, opt_checkpoint *ck, opt_checkpoint_log *log,
                        em_error *err)
{
    memset(ck, 0, sizeof *ck);
    if (log) memset(log, 0, sizeof *log);
    unsigned char *data;
    size_t n;
    int rc = slurp(path, "checkpoint", 0, &data, &n, err);
    if (rc) return rc;
    if (n >= 8 && !memcmp(data, MAGIC_OLD, 8)) {
        free(data);
        return em_fail(err, EM_EFORMAT, "%s: a checkpoint of an older emomc (format "
                       "EMOMCKP1); start the run again", path);
    }
    if (n < 12 || memcmp(data, MAGIC_STATE, 8)) {
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
    int64_t hits = get_i64(&r), np = get_i64(&r);
    if (r.bad || nv < 1 || nv > 1000000 || no < 1 || no > 1000 || nc < 0 || nc > 100000 ||
        ps < 0 || ps > MAX_ROWS || gen < 0 || gen > MAX_ROWS || hits < 0 || np < 0 ||
        np > OPT_CKPT_MAX_POPS) {
        free(data);
        memset(ck, 0, sizeof *ck);
        return em_fail(err, EM_EFORMAT, "%s: checkpoint header is invalid", path);
    }
    ck->n_var = (int)nv;
    ck->n_obj = (int)no;
    ck->n_con = (int)nc;
    ck->pop_size = (int)ps;
    ck->gen = (int)gen;
    ck->cache_hits = (long)hits;
    ck->n_pops = (int)np;
    for (int i = 0; i < ck->n_pops && !r.bad; i++) ck->pops[i] = get_pop(&r, ck->n_var, ck->n_obj, ck->n_con);
    opt_checkpoint_log at = {0, 0, 0, 0};
    at.rows = (long)get_i64(&r);
    get(&r, &at.bytes, sizeof at.bytes);
    at.chain = get_u32(&r);
    int bad = r.bad || r.off != r.n || at.rows < 0 || at.rows > MAX_ROWS ||
              ((at.rows > 0 || at.bytes > 0) && at.bytes < ARCHIVE_HEADER);
    int nomem = r.bad == 2;
    free(data);
    if (bad) {
        opt_checkpoint_clear(ck);
        if (nomem) return em_fail(err, EM_ENOMEM, "%s: out of memory", path);
        return em_fail(err, EM_EFORMAT, "%s: checkpoint body is inconsistent with its header", path);
    }
    if (at.bytes > 0 && (rc = read_archive(path, ck, &at, &ck->evals, err))) {
        opt_checkpoint_clear(ck);
        return rc;
    }
    if (log) *log = at; /* clean = 0: the next write cuts any tail past the prefix */
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
