/* nn/weights.c: the `.emw` weights file: in-memory sets, serialisation with a
 * CRC-32, strict parsing, and binding to a network (see nn/weights.h). */
#include "nn/weights.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/atomicfile.h"
#include "common/half.h"
#include "nn/net.h"

static const uint8_t MAGIC[8] = {0x89, 'E', 'M', 'W', '\r', '\n', 0x1a, '\n'};
#define HEADER_SIZE 48
#define ALIGN 64

static size_t dtype_size(nn_dtype d) { return d == NN_DT_U8 ? 1 : d == NN_DT_F16 ? 2 : 4; }

static bool is_optim(const char *name) { return !strncmp(name, "optim.", 6); }

/* The dtype a tensor is written with. */
static nn_dtype file_dtype(const nn_weights *w, const nn_wtensor *t)
{
    return w->store_half && t->dtype == NN_DT_F32 && !is_optim(t->name) ? NN_DT_F16 : t->dtype;
}

int nn_weights_round_half(nn_weights *w, em_error *err)
{
    for (int i = 0; i < w->n; i++) {
        const nn_wtensor *t = &w->t[i];
        if (t->dtype != NN_DT_F32 || is_optim(t->name)) continue;
        const float *d = t->data;
        for (int64_t k = 0; k < t->numel; k++)
            if (isfinite(d[k]) && fabsf(d[k]) > EM_HALF_MAX)
                return em_fail(err, EM_EINVAL, "tensor '%s' holds %g, beyond float16's range "
                               "(+-%g): keep it float32", t->name, d[k], EM_HALF_MAX);
    }
    for (int i = 0; i < w->n; i++) {
        nn_wtensor *t = &w->t[i];
        if (t->dtype != NN_DT_F32 || is_optim(t->name)) continue;
        float *d = t->data;
        for (int64_t k = 0; k < t->numel; k++) d[k] = em_half_to_float(em_half_from_float(d[k]));
    }
    w->store_half = true;
    return EM_OK;
}

static bool host_little_endian(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

nn_weights *nn_weights_new(void) { return calloc(1, sizeof(nn_weights)); }

void nn_weights_free(nn_weights *w)
{
    if (!w) return;
    for (int i = 0; i < w->n; i++) {
        free(w->t[i].name);
        free(w->t[i].data);
    }
    for (int i = 0; i < w->n_meta; i++) {
        free(w->meta[i].key);
        free(w->meta[i].value);
    }
    free(w->t);
    free(w->meta);
    free(w);
}

const nn_wtensor *nn_weights_find(const nn_weights *w, const char *name)
{
    for (int i = 0; i < w->n; i++)
        if (!strcmp(w->t[i].name, name)) return &w->t[i];
    return NULL;
}

int nn_weights_add(nn_weights *w, const char *name, nn_dtype dtype, int ndim,
                   const int64_t *shape, const void *data, em_error *err)
{
    size_t nl = strlen(name);
    if (nl == 0 || nl >= NN_WEIGHTS_NAME_MAX)
        return em_fail(err, EM_EINVAL, "weights: tensor name '%.40s' is empty or too long", name);
    if (dtype != NN_DT_F32 && dtype != NN_DT_U8)
        return em_fail(err, EM_EINVAL, "weights: %s: unknown dtype %d", name, (int)dtype);
    if (ndim < 1 || ndim > NN_WEIGHTS_MAXDIM)
        return em_fail(err, EM_EINVAL, "weights: %s: %d dimensions (1..%d allowed)", name, ndim,
                       NN_WEIGHTS_MAXDIM);
    if (nn_weights_find(w, name))
        return em_fail(err, EM_EINVAL, "weights: tensor '%s' added twice", name);
    int64_t numel = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] <= 0 || shape[d] > ((int64_t)1 << 40) / numel)
            return em_fail(err, EM_EINVAL, "weights: %s: bad dimension %lld", name,
                           (long long)shape[d]);
        numel *= shape[d];
    }
    nn_wtensor *nt = realloc(w->t, sizeof *nt * (size_t)(w->n + 1));
    if (!nt) return em_fail(err, EM_ENOMEM, "weights: out of memory");
    w->t = nt;
    nn_wtensor *t = &w->t[w->n];
    memset(t, 0, sizeof *t);
    t->name = strdup(name);
    t->data = malloc((size_t)numel * dtype_size(dtype));
    if (!t->name || !t->data) {
        free(t->name);
        free(t->data);
        return em_fail(err, EM_ENOMEM, "weights: out of memory");
    }
    t->dtype = dtype;
    t->ndim = ndim;
    memcpy(t->shape, shape, sizeof *shape * (size_t)ndim);
    t->numel = numel;
    if (data)
        memcpy(t->data, data, (size_t)numel * dtype_size(dtype));
    else
        memset(t->data, 0, (size_t)numel * dtype_size(dtype));
    w->n++;
    return EM_OK;
}

int nn_weights_set_meta(nn_weights *w, const char *key, const char *value, em_error *err)
{
    if (!*key) return em_fail(err, EM_EINVAL, "weights: empty metadata key");
    char *v = strdup(value);
    if (!v) return em_fail(err, EM_ENOMEM, "weights: out of memory");
    for (int i = 0; i < w->n_meta; i++)
        if (!strcmp(w->meta[i].key, key)) {
            free(w->meta[i].value);
            w->meta[i].value = v;
            return EM_OK;
        }
    nn_wmeta *nm = realloc(w->meta, sizeof *nm * (size_t)(w->n_meta + 1));
    char *k = strdup(key);
    if (!nm || !k) {
        if (nm) w->meta = nm;
        free(v);
        free(k);
        return em_fail(err, EM_ENOMEM, "weights: out of memory");
    }
    w->meta = nm;
    w->meta[w->n_meta].key = k;
    w->meta[w->n_meta].value = v;
    w->n_meta++;
    return EM_OK;
}

const char *nn_weights_meta(const nn_weights *w, const char *key)
{
    for (int i = 0; i < w->n_meta; i++)
        if (!strcmp(w->meta[i].key, key)) return w->meta[i].value;
    return NULL;
}

/* ---- writing ---------------------------------------------------------------------- */

typedef struct {
    uint8_t *p;
    size_t len, cap;
    bool oom;
} bytebuf;

static void bb_put(bytebuf *b, const void *src, size_t n)
{
    if (b->oom) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        uint8_t *np = realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    if (src)
        memcpy(b->p + b->len, src, n);
    else
        memset(b->p + b->len, 0, n);
    b->len += n;
}

static void bb_u16(bytebuf *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    bb_put(b, x, 2);
}

static void bb_u32(bytebuf *b, uint32_t v)
{
    uint8_t x[4];
    for (int i = 0; i < 4; i++) x[i] = (uint8_t)(v >> (8 * i));
    bb_put(b, x, 4);
}

static void bb_u64(bytebuf *b, uint64_t v)
{
    uint8_t x[8];
    for (int i = 0; i < 8; i++) x[i] = (uint8_t)(v >> (8 * i));
    bb_put(b, x, 8);
}

static void put_u64_at(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static size_t align_up(size_t x) { return (x + ALIGN - 1) / ALIGN * ALIGN; }

int nn_weights_save(const nn_weights *w, const char *path, em_error *err)
{
    if (!host_little_endian())
        return em_fail(err, EM_EUNSUPPORTED, "%s: weights files need a little-endian host", path);
    bytebuf b = {0};
    bb_put(&b, MAGIC, 8);
    bb_u32(&b, NN_WEIGHTS_VERSION);
    bb_u32(&b, (uint32_t)w->n);
    bb_u32(&b, (uint32_t)w->n_meta);
    bb_u32(&b, 0);
    bb_u64(&b, 0); /* file size, table offset, data offset: patched below */
    bb_u64(&b, 0);
    bb_u64(&b, 0);
    for (int i = 0; i < w->n_meta; i++) {
        size_t kl = strlen(w->meta[i].key), vl = strlen(w->meta[i].value);
        bb_u32(&b, (uint32_t)kl);
        bb_put(&b, w->meta[i].key, kl);
        bb_u32(&b, (uint32_t)vl);
        bb_put(&b, w->meta[i].value, vl);
    }
    size_t table_off = b.len;
    /* Data offsets are known before writing: lay the tensors out in order. */
    uint64_t off = 0;
    for (int i = 0; i < w->n; i++) {
        const nn_wtensor *t = &w->t[i];
        const nn_dtype fd = file_dtype(w, t);
        size_t nl = strlen(t->name), nb = (size_t)t->numel * dtype_size(fd);
        bb_u16(&b, (uint16_t)nl);
        bb_put(&b, t->name, nl);
        uint8_t dn[2] = {(uint8_t)fd, (uint8_t)t->ndim};
        bb_put(&b, dn, 2);
        for (int d = 0; d < t->ndim; d++) bb_u64(&b, (uint64_t)t->shape[d]);
        bb_u64(&b, off);
        bb_u64(&b, nb);
        off = align_up(off + nb);
    }
    size_t data_off = align_up(b.len);
    bb_put(&b, NULL, data_off - b.len);
    for (int i = 0; i < w->n; i++) {
        const nn_wtensor *t = &w->t[i];
        if (file_dtype(w, t) == NN_DT_F16) {
            const float *d = t->data;
            for (int64_t k = 0; k < t->numel; k++) bb_u16(&b, em_half_from_float(d[k]));
        } else {
            bb_put(&b, t->data, (size_t)t->numel * dtype_size(t->dtype));
        }
        if (i + 1 < w->n) bb_put(&b, NULL, align_up(b.len - data_off) - (b.len - data_off));
    }
    size_t total = b.len + 4;
    if (b.oom) {
        free(b.p);
        return em_fail(err, EM_ENOMEM, "%s: out of memory", path);
    }
    put_u64_at(b.p + 24, total);
    put_u64_at(b.p + 32, table_off);
    put_u64_at(b.p + 40, data_off);
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t at = 0; at < b.len;) { /* crc32 takes uInt lengths */
        size_t chunk = b.len - at > (1u << 30) ? (1u << 30) : b.len - at;
        crc = crc32(crc, b.p + at, (uInt)chunk);
        at += chunk;
    }
    bb_u32(&b, (uint32_t)crc);
    if (b.oom) {
        free(b.p);
        return em_fail(err, EM_ENOMEM, "%s: out of memory", path);
    }
    int rc = em_atomic_write(path, b.p, b.len, err);
    free(b.p);
    return rc;
}

/* ---- reading ---------------------------------------------------------------------- */

typedef struct {
    const uint8_t *p;
    uint64_t pos, end;
    const char *path;
    const char *what; /* the section being read, for messages */
    em_error *err;
    bool bad;
} reader;

static bool rd_need(reader *r, uint64_t n)
{
    if (r->bad) return false;
    if (n > r->end - r->pos) {
        em_fail(r->err, EM_EFORMAT, "%s: corrupt %s: entry runs past its section (offset %llu)",
                r->path, r->what, (unsigned long long)r->pos);
        r->bad = true;
        return false;
    }
    return true;
}

static uint64_t rd_uint(reader *r, int bytes)
{
    if (!rd_need(r, (uint64_t)bytes)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)r->p[r->pos + i] << (8 * i);
    r->pos += (uint64_t)bytes;
    return v;
}

static char *rd_str(reader *r, uint64_t n)
{
    if (!rd_need(r, n)) return NULL;
    char *s = malloc(n + 1);
    if (!s) {
        em_fail(r->err, EM_ENOMEM, "%s: out of memory", r->path);
        r->bad = true;
        return NULL;
    }
    memcpy(s, r->p + r->pos, n);
    s[n] = 0;
    r->pos += n;
    if (strlen(s) != n) {
        free(s);
        em_fail(r->err, EM_EFORMAT, "%s: corrupt %s: a name holds a NUL byte", r->path, r->what);
        r->bad = true;
        return NULL;
    }
    return s;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int nn_weights_parse(const uint8_t *buf, uint64_t len, const char *path, nn_weights **out,
                     em_error *err)
{
    *out = NULL;
    if (!host_little_endian())
        return em_fail(err, EM_EUNSUPPORTED, "%s: weights files need a little-endian host", path);
    if (len < 8 || memcmp(buf, MAGIC, 8) != 0)
        return em_fail(err, EM_EFORMAT, "%s: not an emomc weights file (bad magic number)", path);
    if (len < HEADER_SIZE + 4)
        return em_fail(err, EM_EFORMAT, "%s: truncated: %llu bytes, shorter than the header",
                       path, (unsigned long long)len);
    uint32_t version = le32(buf + 8), nt = le32(buf + 12), nm = le32(buf + 16);
    uint64_t fsize = le64(buf + 24), toff = le64(buf + 32), doff = le64(buf + 40);
    if (version != NN_WEIGHTS_VERSION)
        return em_fail(err, EM_EUNSUPPORTED,
                       "%s: weights file version %u; this emomc reads version %d", path, version,
                       NN_WEIGHTS_VERSION);
    if (fsize > len)
        return em_fail(err, EM_EFORMAT, "%s: truncated: header says %llu bytes, file has %llu",
                       path, (unsigned long long)fsize, (unsigned long long)len);
    if (fsize < len)
        return em_fail(err, EM_EFORMAT, "%s: %llu unexpected bytes after the end of the file",
                       path, (unsigned long long)(len - fsize));
    uLong crc = crc32(0L, Z_NULL, 0);
    for (uint64_t at = 0; at < len - 4;) {
        uint64_t chunk = len - 4 - at > (1u << 30) ? (1u << 30) : len - 4 - at;
        crc = crc32(crc, buf + at, (uInt)chunk);
        at += chunk;
    }
    if ((uint32_t)crc != le32(buf + len - 4))
        return em_fail(err, EM_EFORMAT,
                       "%s: checksum mismatch (stored %08x, computed %08x): the file is corrupt",
                       path, le32(buf + len - 4), (uint32_t)crc);
    if (toff < HEADER_SIZE || toff > doff || doff > len - 4)
        return em_fail(err, EM_EFORMAT, "%s: corrupt header: section offsets out of bounds",
                       path);
    nn_weights *w = nn_weights_new();
    if (!w) return em_fail(err, EM_ENOMEM, "%s: out of memory", path);
    reader r = {buf, HEADER_SIZE, toff, path, "metadata", err, false};
    for (uint32_t i = 0; i < nm && !r.bad; i++) {
        char *k = rd_str(&r, rd_uint(&r, 4));
        char *v = k ? rd_str(&r, rd_uint(&r, 4)) : NULL;
        if (v && nn_weights_set_meta(w, k, v, err) != 0) r.bad = true;
        free(k);
        free(v);
    }
    if (!r.bad && r.pos != toff) {
        em_fail(err, EM_EFORMAT, "%s: corrupt metadata: %llu stray bytes", path,
                (unsigned long long)(toff - r.pos));
        r.bad = true;
    }
    r.what = "tensor table";
    r.pos = toff;
    r.end = doff;
    uint64_t data_len = len - 4 - doff;
    for (uint32_t i = 0; i < nt && !r.bad; i++) {
        char *name = rd_str(&r, rd_uint(&r, 2));
        unsigned dtype = (unsigned)rd_uint(&r, 1), ndim = (unsigned)rd_uint(&r, 1);
        if (r.bad) {
            free(name);
            break;
        }
        if ((dtype != NN_DT_F32 && dtype != NN_DT_U8 && dtype != NN_DT_F16) || ndim < 1 ||
            ndim > NN_WEIGHTS_MAXDIM) {
            em_fail(err, EM_EFORMAT, "%s: tensor '%s': bad dtype %u or rank %u", path, name,
                    dtype, ndim);
            free(name);
            r.bad = true;
            break;
        }
        int64_t shape[NN_WEIGHTS_MAXDIM];
        uint64_t numel = 1;
        bool shape_ok = true;
        for (unsigned d = 0; d < ndim; d++) {
            uint64_t s = rd_uint(&r, 8);
            if (s == 0 || s > ((uint64_t)1 << 40) / numel) shape_ok = false;
            else numel *= s;
            shape[d] = (int64_t)s;
        }
        uint64_t off = rd_uint(&r, 8), nb = rd_uint(&r, 8);
        if (r.bad) {
            free(name);
            break;
        }
        if (!shape_ok || nb != numel * dtype_size((nn_dtype)dtype) || off > data_len ||
            nb > data_len - off) {
            em_fail(err, EM_EFORMAT,
                    "%s: tensor '%s': table entry out of bounds (shape, size %llu or offset "
                    "%llu do not fit the %llu data bytes)",
                    path, name, (unsigned long long)nb, (unsigned long long)off,
                    (unsigned long long)data_len);
            free(name);
            r.bad = true;
            break;
        }
        if (nn_weights_find(w, name)) {
            em_fail(err, EM_EFORMAT, "%s: tensor '%s' appears twice", path, name);
            free(name);
            r.bad = true;
            break;
        }
        if (dtype == NN_DT_F16) {
            /* Widened to float32 on load; the set remembers to store it as half. */
            float *f = malloc((size_t)numel * sizeof(float));
            const uint8_t *src = buf + doff + off;
            if (!f) {
                em_fail(err, EM_ENOMEM, "%s: out of memory", path);
                r.bad = true;
            } else {
                for (uint64_t k = 0; k < numel; k++)
                    f[k] = em_half_to_float((uint16_t)(src[2 * k] | src[2 * k + 1] << 8));
                if (nn_weights_add(w, name, NN_DT_F32, (int)ndim, shape, f, err)) r.bad = true;
                w->store_half = true;
                free(f);
            }
        } else if (nn_weights_add(w, name, (nn_dtype)dtype, (int)ndim, shape, buf + doff + off,
                                  err)) {
            r.bad = true;
        }
        free(name);
    }
    if (r.bad) {
        nn_weights_free(w);
        return err && err->code ? err->code : EM_EFORMAT;
    }
    *out = w;
    return EM_OK;
}

int nn_weights_load(const char *path, nn_weights **out, em_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return em_fail(err, EM_EIO, "%s: cannot open weights file", path);
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 65536) {
            size_t nc = cap ? cap * 2 : 1 << 20;
            uint8_t *nb = realloc(buf, nc);
            if (!nb) {
                free(buf);
                fclose(f);
                return em_fail(err, EM_ENOMEM, "%s: out of memory", path);
            }
            buf = nb;
            cap = nc;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    bool rerr = ferror(f);
    fclose(f);
    if (rerr) {
        free(buf);
        return em_fail(err, EM_EIO, "%s: read error", path);
    }
    int rc = nn_weights_parse(buf, len, path, out, err);
    free(buf);
    return rc;
}

/* ---- binding to a network ------------------------------------------------------- */

int nn_weights_from_net(struct nn_net *net, nn_weights **out, em_error *err)
{
    *out = NULL;
    nn_weights *w = nn_weights_new();
    if (!w) return em_fail(err, EM_ENOMEM, "out of memory");
    int np = nn_net_param_count(net), rc = EM_OK;
    uint8_t *m8 = NULL;
    for (int i = 0; i < np && !rc; i++) {
        const nn_param *p = nn_net_param(net, i);
        int64_t shape[4];
        for (int d = 0; d < p->ndim; d++) shape[d] = p->shape[d];
        rc = nn_weights_add(w, p->name, NN_DT_F32, p->ndim, shape, p->data, err);
        if (!rc && p->mask) {
            uint8_t *nb = realloc(m8, (size_t)p->numel);
            if (!nb) {
                rc = em_fail(err, EM_ENOMEM, "out of memory");
                break;
            }
            m8 = nb;
            for (int64_t k = 0; k < p->numel; k++) m8[k] = p->mask[k] != 0.0f;
            char mname[2 * NN_NAME_MAX + 8];
            snprintf(mname, sizeof mname, "%s_mask", p->name);
            rc = nn_weights_add(w, mname, NN_DT_U8, p->ndim, shape, m8, err);
        }
    }
    free(m8);
    if (rc) {
        nn_weights_free(w);
        return rc;
    }
    *out = w;
    return EM_OK;
}

static void shape_str(const int64_t *s, int nd, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = 0;
    for (int d = 0; d < nd && at < n; d++)
        at += (size_t)snprintf(buf + at, n - at, "%s%lld", d ? "x" : "", (long long)s[d]);
}

static bool same_shape(const nn_wtensor *t, const nn_param *p)
{
    if (t->ndim != p->ndim) return false;
    for (int d = 0; d < p->ndim; d++)
        if (t->shape[d] != p->shape[d]) return false;
    return true;
}

int nn_weights_apply(const nn_weights *w, struct nn_net *net, const char *what, em_error *err)
{
    const char *model = nn_net_arch(net)->name;
    int np = nn_net_param_count(net);
    /* Pass 1: check everything, touching nothing. */
    for (int i = 0; i < np; i++) {
        const nn_param *p = nn_net_param(net, i);
        const nn_wtensor *t = nn_weights_find(w, p->name);
        int64_t ps[4];
        for (int d = 0; d < p->ndim; d++) ps[d] = p->shape[d];
        char a[128], b[128];
        shape_str(ps, p->ndim, a, sizeof a);
        if (!t)
            return em_fail(err, EM_EFORMAT, "%s: tensor '%s' (%s) of model %s is missing", what,
                           p->name, a, model);
        if (t->dtype != NN_DT_F32)
            return em_fail(err, EM_EFORMAT, "%s: tensor '%s' is not float32", what, p->name);
        if (!same_shape(t, p)) {
            shape_str(t->shape, t->ndim, b, sizeof b);
            return em_fail(err, EM_EFORMAT, "%s: tensor '%s' has shape %s, model %s needs %s",
                           what, p->name, b, model, a);
        }
    }
    for (int i = 0; i < w->n; i++) {
        const nn_wtensor *t = &w->t[i];
        if (!strncmp(t->name, "optim.", 6)) continue;
        if (nn_net_find_param(net, t->name)) continue;
        size_t l = strlen(t->name);
        if (l > 5 && !strcmp(t->name + l - 5, "_mask")) {
            char base[NN_WEIGHTS_NAME_MAX];
            memcpy(base, t->name, l - 5);
            base[l - 5] = 0;
            const nn_param *p = nn_net_find_param(net, base);
            if (!p || !p->trainable)
                return em_fail(err, EM_EFORMAT, "%s: mask '%s' has no trainable tensor '%s' in "
                               "model %s", what, t->name, base, model);
            if (t->dtype != NN_DT_U8 || !same_shape(t, p))
                return em_fail(err, EM_EFORMAT, "%s: mask '%s' must be uint8 of %s's shape",
                               what, t->name, base);
            const uint8_t *m = t->data;
            for (int64_t k = 0; k < t->numel; k++)
                if (m[k] > 1)
                    return em_fail(err, EM_EFORMAT, "%s: mask '%s' holds %u (only 0 and 1)",
                                   what, t->name, m[k]);
            continue;
        }
        return em_fail(err, EM_EFORMAT, "%s: tensor '%s' is not a parameter of model %s", what,
                       t->name, model);
    }
    /* Pass 2: copy. */
    nn_net_clear_masks(net);
    float *mf = NULL;
    for (int i = 0; i < np; i++) {
        nn_param *p = nn_net_param(net, i);
        const nn_wtensor *t = nn_weights_find(w, p->name);
        memcpy(p->data, t->data, sizeof(float) * (size_t)p->numel);
        char mname[2 * NN_NAME_MAX + 8];
        snprintf(mname, sizeof mname, "%s_mask", p->name);
        const nn_wtensor *mt = nn_weights_find(w, mname);
        if (mt) {
            float *nb = realloc(mf, sizeof(float) * (size_t)p->numel);
            if (!nb) {
                free(mf);
                return em_fail(err, EM_ENOMEM, "out of memory");
            }
            mf = nb;
            const uint8_t *m = mt->data;
            for (int64_t k = 0; k < p->numel; k++) mf[k] = m[k];
            int rc = nn_net_set_mask(net, p->name, mf, err);
            if (rc) {
                free(mf);
                return rc;
            }
        }
    }
    free(mf);
    return EM_OK;
}

int nn_weights_load_into(const char *path, struct nn_net *net, nn_weights **meta_out,
                         em_error *err)
{
    nn_weights *w;
    if (meta_out) *meta_out = NULL;
    int rc = nn_weights_load(path, &w, err);
    if (rc) return rc;
    rc = nn_weights_apply(w, net, path, err);
    if (rc || !meta_out)
        nn_weights_free(w);
    else
        *meta_out = w;
    return rc;
}
