/* nn/dataset.c: IDX and CIFAR-10 readers, data folder resolution, splits, float
 * conversion, augmentation and the shuffling batcher (see nn/dataset.h). */
#include "nn/dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "common/datapath.h"

#define IDX_IMAGES_MAGIC 2051u
#define IDX_LABELS_MAGIC 2049u
#define CIFAR_RECORD (1 + 3 * 32 * 32)

/* Copies src into dst[n], truncating (a message or label, never data). */
static void copy_str(char *dst, size_t n, const char *src)
{
    size_t l = strlen(src);
    if (l >= n) l = n - 1;
    memcpy(dst, src, l);
    dst[l] = 0;
}

/* Writes a "/" b suffix into out[n]; false (and an empty out) when it does not fit. */
static bool path_join(char *out, size_t n, const char *a, const char *b, const char *suffix)
{
    size_t la = strlen(a), lb = strlen(b), ls = strlen(suffix);
    if (la + 1 + lb + ls + 1 > n) {
        if (n) out[0] = 0;
        return false;
    }
    memcpy(out, a, la);
    out[la] = '/';
    memcpy(out + la + 1, b, lb);
    memcpy(out + la + 1 + lb, suffix, ls + 1);
    return true;
}

static const char *kind_names[NN_DS_KIND_COUNT] = {"mnist", "fashion-mnist", "cifar10"};

const char *nn_dataset_kind_name(nn_dataset_kind k)
{
    return (k >= 0 && k < NN_DS_KIND_COUNT) ? kind_names[k] : "?";
}

int nn_dataset_kind_parse(const char *name, nn_dataset_kind *out)
{
    for (int k = 0; k < NN_DS_KIND_COUNT; k++)
        if (!strcmp(name, kind_names[k])) {
            *out = (nn_dataset_kind)k;
            return 0;
        }
    if (!strcmp(name, "fashion") || !strcmp(name, "fashion_mnist")) {
        *out = NN_DS_FASHION_MNIST;
        return 0;
    }
    if (!strcmp(name, "cifar-10")) {
        *out = NN_DS_CIFAR10;
        return 0;
    }
    return -1;
}

/* ---- streaming the files, plain or gzip -------------------------------------------
 *
 * No file is read whole: the header is read and validated first, then exactly the
 * bytes it announces are streamed (zlib detects gzip; plain files pass through), the
 * buffer growing as data arrives, and a stream that is shorter or longer than that is
 * an error naming the file. So a small gzip that inflates to gigabytes costs at most
 * what its header announces, within NN_DATA_MAX_BYTES. */
#define NN_DATA_MAX_BYTES ((size_t)1 << 31)    /* one file's payload: 2 GiB */
#define CIFAR_MAX_RECORDS 100000               /* one batch file: 10x a CIFAR-10 batch */

static int open_stream(const char *path, gzFile *gz, em_error *err)
{
    *gz = gzopen(path, "rb");
    if (!*gz) return em_fail(err, EM_EIO, "%s: cannot open", path);
    gzbuffer(*gz, 1 << 17);
    return EM_OK;
}

static int zlib_fail(gzFile gz, const char *path, em_error *err)
{
    int zerr = Z_OK;
    const char *zmsg = gzerror(gz, &zerr);
    return em_fail(err, EM_EFORMAT, "%s: corrupt or truncated gzip data (%s)", path,
                   zmsg && *zmsg ? zmsg : "zlib error");
}

/* Reads up to n bytes into buf (n may exceed an int: read in pieces); *got says how
 * many came before the stream ended. A damaged stream is an error. */
static int read_some(gzFile gz, const char *path, uint8_t *buf, size_t n, size_t *got,
                     em_error *err)
{
    *got = 0;
    while (*got < n) {
        size_t want = n - *got < ((size_t)1 << 30) ? n - *got : (size_t)1 << 30;
        int r = gzread(gz, buf + *got, (unsigned)want);
        if (r < 0) return zlib_fail(gz, path, err);
        if (r == 0) break;
        *got += (size_t)r;
    }
    /* gzread returns 0 both at a clean end and at a truncated stream; zlib flags the
     * latter as Z_BUF_ERROR. */
    int zerr = Z_OK;
    gzerror(gz, &zerr);
    if (zerr != Z_OK && zerr != Z_STREAM_END) return zlib_fail(gz, path, err);
    return EM_OK;
}

/* Streams exactly `want` bytes into a buffer that grows as they come; *got < want
 * when the stream ended first (the caller says what was truncated). */
static int read_payload(gzFile gz, const char *path, size_t want, uint8_t **out, size_t *got,
                        em_error *err)
{
    *out = NULL;
    *got = 0;
    size_t cap = want < ((size_t)1 << 20) ? want : (size_t)1 << 20;
    uint8_t *buf = malloc(cap ? cap : 1);
    if (!buf) return em_fail(err, EM_ENOMEM, "%s: out of memory", path);
    for (;;) {
        size_t n = 0;
        int rc = read_some(gz, path, buf + *got, cap - *got, &n, err);
        if (rc) {
            free(buf);
            return rc;
        }
        *got += n;
        if (*got < cap || cap == want) break; /* the stream ended, or all is read */
        size_t ncap = cap * 2 < want ? cap * 2 : want;
        uint8_t *nb = realloc(buf, ncap);
        if (!nb) {
            free(buf);
            return em_fail(err, EM_ENOMEM, "%s: out of memory", path);
        }
        buf = nb;
        cap = ncap;
    }
    *out = buf;
    return EM_OK;
}

/* After the announced payload the stream must end. */
static int expect_end(gzFile gz, const char *path, const char *what, em_error *err)
{
    uint8_t extra;
    size_t n = 0;
    int rc = read_some(gz, path, &extra, 1, &n, err);
    if (rc) return rc;
    if (n) return em_fail(err, EM_EFORMAT, "%s: unexpected bytes after %s", path, what);
    return EM_OK;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads and checks an IDX header of `len` bytes with magic `want` (other: the magic
 * of the other IDX kind, for a clearer message). */
static int idx_header(gzFile gz, const char *path, uint8_t *h, size_t len, uint32_t want,
                      uint32_t other, const char *kind, const char *other_kind, em_error *err)
{
    size_t got = 0;
    int rc = read_some(gz, path, h, len, &got, err);
    if (rc) return rc;
    uint32_t magic = got >= 4 ? be32(h) : 0;
    if (got >= 4 && magic != want) {
        if (magic == other)
            return em_fail(err, EM_EFORMAT, "%s: this is an IDX %s file (magic %u), expected %s "
                           "(%u)", path, other_kind, other, kind, want);
        return em_fail(err, EM_EFORMAT, "%s: bad magic number %u (IDX %s need %u)", path, magic,
                       kind, want);
    }
    if (got < len)
        return em_fail(err, EM_EFORMAT, "%s: truncated IDX header (%zu bytes, need %zu)", path,
                       got, len);
    return EM_OK;
}

/* The two IDX kinds: images (count x rows x cols after the magic) or labels (count);
 * the magic of the other kind and the words of messages. */
typedef struct {
    bool images;
    uint32_t magic, other_magic;
    size_t header;
    const char *kind, *other_kind;
} idx_kind;

static const idx_kind IDX_IMAGES = {true, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, 16, "images",
                                    "label"};
static const idx_kind IDX_LABELS = {false, IDX_LABELS_MAGIC, IDX_IMAGES_MAGIC, 8, "labels",
                                    "image"};

/* The dimensions of a header: count (and rows x cols for images, 1 x 1 for labels),
 * checked before any payload is read. */
static int idx_dims(const idx_kind *k, const char *path, const uint8_t *h, uint32_t dim[3],
                    em_error *err)
{
    bool images = k->images;
    dim[0] = be32(h + 4);
    dim[1] = images ? be32(h + 8) : 1;
    dim[2] = images ? be32(h + 12) : 1;
    if (!images && (dim[0] == 0 || dim[0] > 10000000u))
        return em_fail(err, EM_EFORMAT, "%s: implausible label count %u", path, dim[0]);
    if (dim[0] == 0 || dim[0] > 10000000u || dim[1] == 0 || dim[2] == 0 || dim[1] > 4096 ||
        dim[2] > 4096)
        return em_fail(err, EM_EFORMAT, "%s: implausible IDX dimensions %u x %u x %u", path,
                       dim[0], dim[1], dim[2]);
    size_t want = (size_t)dim[0] * dim[1] * dim[2];
    if (want > NN_DATA_MAX_BYTES)
        return em_fail(err, EM_EFORMAT, "%s: header announces %u images of %ux%u (%zu bytes), "
                       "more than the %zu bytes a data file may hold", path, dim[0], dim[1],
                       dim[2], want, NN_DATA_MAX_BYTES);
    return EM_OK;
}

static int idx_truncated(const idx_kind *k, const char *path, const uint32_t dim[3], size_t want,
                         size_t got, em_error *err)
{
    if (k->images)
        return em_fail(err, EM_EFORMAT, "%s: truncated: header announces %u images of %ux%u "
                       "(%zu bytes), file holds %zu", path, dim[0], dim[1], dim[2], want, got);
    return em_fail(err, EM_EFORMAT, "%s: truncated: header announces %u labels, file holds %zu",
                   path, dim[0], got);
}

/* One IDX file of kind k: the header, then exactly the bytes it announces, then the
 * end of the stream. dim: count, rows, cols (1, 1 for labels). */
static int idx_read(const idx_kind *k, const char *path, uint32_t dim[3], uint8_t **out,
                    em_error *err)
{
    gzFile gz;
    int rc = open_stream(path, &gz, err);
    if (rc) return rc;
    uint8_t h[16], *d = NULL;
    size_t got = 0;
    if ((rc = idx_header(gz, path, h, k->header, k->magic, k->other_magic, k->kind,
                         k->other_kind, err)) ||
        (rc = idx_dims(k, path, h, dim, err)))
        goto done;
    size_t want = (size_t)dim[0] * dim[1] * dim[2];
    if ((rc = read_payload(gz, path, want, &d, &got, err))) goto done;
    if (got < want) {
        rc = idx_truncated(k, path, dim, want, got, err);
        goto done;
    }
    char what[64];
    snprintf(what, sizeof what, "%u %s", dim[0], k->kind);
    if ((rc = expect_end(gz, path, what, err))) goto done;
    *out = d;
    d = NULL;
done:
    free(d);
    gzclose(gz);
    return rc;
}

int nn_idx_read_images(const char *path, int *n, int *rows, int *cols, uint8_t **pixels,
                       em_error *err)
{
    uint32_t dim[3];
    int rc = idx_read(&IDX_IMAGES, path, dim, pixels, err);
    if (rc) return rc;
    *n = (int)dim[0];
    *rows = (int)dim[1];
    *cols = (int)dim[2];
    return EM_OK;
}

int nn_idx_read_labels(const char *path, int *n, uint8_t **labels, em_error *err)
{
    uint32_t dim[3];
    int rc = idx_read(&IDX_LABELS, path, dim, labels, err);
    if (rc) return rc;
    *n = (int)dim[0];
    return EM_OK;
}

/* CIFAR batches have no header: records are streamed one at a time, at most
 * CIFAR_MAX_RECORDS of them. */
int nn_cifar_read_batch(const char *path, int *n, uint8_t **pixels, uint8_t **labels,
                        em_error *err)
{
    gzFile gz;
    int rc = open_stream(path, &gz, err);
    if (rc) return rc;
    size_t cap = 0, cnt = 0;
    uint8_t *px = NULL, *lb = NULL, rec[CIFAR_RECORD];
    for (;;) {
        size_t got = 0;
        if ((rc = read_some(gz, path, rec, CIFAR_RECORD, &got, err))) goto fail;
        if (got == 0) break;
        if (got < CIFAR_RECORD) {
            rc = em_fail(err, EM_EFORMAT, "%s: truncated or not a CIFAR-10 batch: %zu bytes is "
                         "not a whole number of %d-byte records", path,
                         cnt * CIFAR_RECORD + got, CIFAR_RECORD);
            goto fail;
        }
        if (cnt == CIFAR_MAX_RECORDS) {
            rc = em_fail(err, EM_EFORMAT, "%s: more than %d records: not a CIFAR-10 batch", path,
                         CIFAR_MAX_RECORDS);
            goto fail;
        }
        if (rec[0] > 9) {
            rc = em_fail(err, EM_EFORMAT, "%s: record %zu has label %u (CIFAR-10 labels are 0..9)",
                         path, cnt, rec[0]);
            goto fail;
        }
        if (cnt == cap) {
            size_t ncap = cap ? cap * 2 : 1024;
            uint8_t *np = realloc(px, ncap * (CIFAR_RECORD - 1)), *nl = np ? realloc(lb, ncap) : NULL;
            if (np) px = np;
            if (nl) lb = nl;
            if (!np || !nl) {
                rc = em_fail(err, EM_ENOMEM, "%s: out of memory", path);
                goto fail;
            }
            cap = ncap;
        }
        lb[cnt] = rec[0];
        memcpy(px + cnt * (CIFAR_RECORD - 1), rec + 1, CIFAR_RECORD - 1);
        cnt++;
    }
    if (cnt == 0) {
        rc = em_fail(err, EM_EFORMAT, "%s: truncated or not a CIFAR-10 batch: 0 bytes is not a "
                     "whole number of %d-byte records", path, CIFAR_RECORD);
        goto fail;
    }
    gzclose(gz);
    *n = (int)cnt;
    *pixels = px;
    *labels = lb;
    return EM_OK;
fail:
    free(px);
    free(lb);
    gzclose(gz);
    return rc;
}

/* ---- folders -------------------------------------------------------------------- */

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Finds dir/base or dir/base.gz; writes the existing one into out. */
static bool find_file(const char *dir, const char *base, char *out, size_t n)
{
    if (path_join(out, n, dir, base, "") && is_file(out)) return true;
    return path_join(out, n, dir, base, ".gz") && is_file(out);
}

static bool dir_has_idx(const char *dir)
{
    char p[4096];
    return find_file(dir, "train-images-idx3-ubyte", p, sizeof p) ||
           find_file(dir, "t10k-images-idx3-ubyte", p, sizeof p);
}

static bool dir_has_cifar(const char *dir)
{
    char p[4096];
    return find_file(dir, "data_batch_1.bin", p, sizeof p) ||
           find_file(dir, "test_batch.bin", p, sizeof p);
}

static bool dir_has_kind(const char *dir, nn_dataset_kind k)
{
    return k == NN_DS_CIFAR10 ? dir_has_cifar(dir) : dir_has_idx(dir);
}

int nn_data_resolve(const char *spec, const char *root_flag, char *buf, size_t n,
                    nn_dataset_kind *kind, em_error *err)
{
    if (!spec || !*spec) return em_fail(err, EM_EINVAL, "no data set given");
    nn_dataset_kind k;
    if (nn_dataset_kind_parse(spec, &k) != 0) {
        /* A directory: detect its format. */
        if (!is_dir(spec))
            return em_fail(err, EM_EINVAL,
                           "%s: neither a data set name (mnist, fashion-mnist, cifar10) nor "
                           "a folder",
                           spec);
        if (dir_has_cifar(spec))
            k = NN_DS_CIFAR10;
        else if (dir_has_idx(spec))
            k = strstr(spec, "fashion") ? NN_DS_FASHION_MNIST : NN_DS_MNIST;
        else
            return em_fail(err, EM_EFORMAT,
                           "%s: holds neither IDX files (train-images-idx3-ubyte[.gz], "
                           "t10k-images-idx3-ubyte[.gz]) nor CIFAR-10 batches "
                           "(data_batch_1.bin[.gz], test_batch.bin[.gz])",
                           spec);
        copy_str(buf, n, spec);
        *kind = k;
        return EM_OK;
    }
    const char *subs[NN_DS_KIND_COUNT][2] = {
        {"mnist", "MNIST"}, {"fashion-mnist", "fashion_mnist"}, {"cifar10", "cifar-10-batches-bin"}};
    char roots[7][4096];
    int nr = 0;
    if (root_flag && *root_flag) copy_str(roots[nr++], sizeof roots[0], root_flag);
    const char *env = em_data_env_root();
    if (env) copy_str(roots[nr++], sizeof roots[0], env);
#ifdef EMOMC_SOURCE_DIR
    path_join(roots[nr++], sizeof roots[0], EMOMC_SOURCE_DIR, "../shared/data", "");
#endif
    snprintf(roots[nr++], sizeof roots[0], "../shared/data");
#ifdef EMOMC_SOURCE_DIR
    path_join(roots[nr++], sizeof roots[0], EMOMC_SOURCE_DIR, "data", "");
#endif
    snprintf(roots[nr++], sizeof roots[0], "data");
    snprintf(roots[nr++], sizeof roots[0], "/usr/share/datasets");
    for (int i = 0; i < nr; i++) {
        /* The flag and the variable may also point straight at the data set folder. */
        if (i < (root_flag && *root_flag) + (env && *env) && dir_has_kind(roots[i], k)) {
            copy_str(buf, n, roots[i]);
            *kind = k;
            return EM_OK;
        }
        for (int s = 0; s < 2; s++) {
            char cand[4200];
            if (path_join(cand, sizeof cand, roots[i], subs[k][s], "") && dir_has_kind(cand, k)) {
                copy_str(buf, n, cand);
                *kind = k;
                return EM_OK;
            }
        }
    }
    return em_fail(err, EM_EIO,
                   "data set '%s' not found: looked for %s/ under --data-root, $EMOMC_DATA, "
                   "../shared/data (beside the source tree and the current folder), data/ "
                   "(in the source tree and the current folder) and /usr/share/datasets%s",
                   spec, subs[k][0],
                   k == NN_DS_FASHION_MNIST ? " (apt-get install dataset-fashion-mnist)" : "");
}

/* ---- datasets ------------------------------------------------------------------- */

static void set_norm(nn_dataset *ds)
{
    static const float mn[3][3] = {{0.1307f}, {0.2860f}, {0.4914f, 0.4822f, 0.4465f}};
    static const float sd[3][3] = {{0.3081f}, {0.3530f}, {0.2470f, 0.2435f, 0.2616f}};
    for (int ch = 0; ch < 3; ch++) {
        ds->mean[ch] = ch < ds->c ? mn[ds->kind][ch] : 0.0f;
        ds->std[ch] = ch < ds->c ? sd[ds->kind][ch] : 1.0f;
    }
}

static nn_dataset *ds_alloc(nn_dataset_kind kind, int n, int c, int h, int w, int classes)
{
    nn_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) return NULL;
    ds->kind = kind;
    ds->n = n;
    ds->c = c;
    ds->h = h;
    ds->w = w;
    ds->classes = classes;
    set_norm(ds);
    ds->pixels = malloc((size_t)n * c * h * w + 1);
    ds->labels = malloc((size_t)n + 1);
    if (!ds->pixels || !ds->labels) {
        nn_dataset_free(ds);
        return NULL;
    }
    return ds;
}

void nn_dataset_free(nn_dataset *ds)
{
    if (!ds) return;
    free(ds->pixels);
    free(ds->labels);
    free(ds);
}

int nn_dataset_from_arrays(nn_dataset_kind kind, int n, int c, int h, int w, int classes,
                           const uint8_t *pixels, const uint8_t *labels, nn_dataset **out,
                           em_error *err)
{
    if (n <= 0 || c <= 0 || c > 3 || h <= 0 || w <= 0 || classes <= 0 || classes > 256)
        return em_fail(err, EM_EINVAL, "dataset: bad shape n=%d c=%d h=%d w=%d classes=%d", n,
                       c, h, w, classes);
    for (int i = 0; i < n; i++)
        if (labels[i] >= classes)
            return em_fail(err, EM_EINVAL, "dataset: label %d of image %d is not below %d",
                           labels[i], i, classes);
    nn_dataset *ds = ds_alloc(kind, n, c, h, w, classes);
    if (!ds) return em_fail(err, EM_ENOMEM, "dataset: out of memory");
    memcpy(ds->pixels, pixels, (size_t)n * c * h * w);
    memcpy(ds->labels, labels, (size_t)n);
    snprintf(ds->source, sizeof ds->source, "(memory)");
    *out = ds;
    return EM_OK;
}

static int load_idx(const char *dir, nn_dataset_kind kind, bool test, nn_dataset **out,
                    em_error *err)
{
    char ip[4096], lp[4096];
    const char *pre = test ? "t10k" : "train";
    char base[64];
    snprintf(base, sizeof base, "%s-images-idx3-ubyte", pre);
    if (!find_file(dir, base, ip, sizeof ip))
        return em_fail(err, EM_EIO, "%s: no %s[.gz] here", dir, base);
    snprintf(base, sizeof base, "%s-labels-idx1-ubyte", pre);
    if (!find_file(dir, base, lp, sizeof lp))
        return em_fail(err, EM_EIO, "%s: no %s[.gz] here", dir, base);
    int n, r, c, nl;
    uint8_t *px = NULL, *lb = NULL;
    int rc = nn_idx_read_images(ip, &n, &r, &c, &px, err);
    if (rc) return rc;
    rc = nn_idx_read_labels(lp, &nl, &lb, err);
    if (rc) {
        free(px);
        return rc;
    }
    if (nl != n) {
        free(px), free(lb);
        return em_fail(err, EM_EFORMAT, "%s holds %d labels but %s holds %d images", lp, nl, ip,
                       n);
    }
    for (int i = 0; i < n; i++)
        if (lb[i] > 9) {
            em_fail(err, EM_EFORMAT, "%s: label %d of item %d is out of range 0..9", lp, lb[i], i);
            free(px), free(lb);
            return EM_EFORMAT;
        }
    nn_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) {
        free(px), free(lb);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    ds->kind = kind;
    ds->n = n;
    ds->c = 1;
    ds->h = r;
    ds->w = c;
    ds->classes = 10;
    ds->pixels = px;
    ds->labels = lb;
    set_norm(ds);
    copy_str(ds->source, sizeof ds->source, ip);
    *out = ds;
    return EM_OK;
}

static int load_cifar(const char *dir, bool test, nn_dataset **out, em_error *err)
{
    int nfiles = test ? 1 : 5;
    uint8_t *px[5] = {0}, *lb[5] = {0};
    int cnt[5] = {0}, total = 0, rc = EM_OK;
    char path[4096];
    for (int f = 0; f < nfiles && !rc; f++) {
        char base[64];
        if (test)
            snprintf(base, sizeof base, "test_batch.bin");
        else
            snprintf(base, sizeof base, "data_batch_%d.bin", f + 1);
        if (!find_file(dir, base, path, sizeof path)) {
            rc = em_fail(err, EM_EIO, "%s: no %s[.gz] here", dir, base);
            break;
        }
        rc = nn_cifar_read_batch(path, &cnt[f], &px[f], &lb[f], err);
        total += cnt[f];
    }
    nn_dataset *ds = NULL;
    if (!rc) {
        ds = ds_alloc(NN_DS_CIFAR10, total, 3, 32, 32, 10);
        if (!ds) rc = em_fail(err, EM_ENOMEM, "out of memory");
    }
    if (!rc) {
        size_t at = 0;
        for (int f = 0; f < nfiles; f++) {
            memcpy(ds->pixels + at * 3072, px[f], (size_t)cnt[f] * 3072);
            memcpy(ds->labels + at, lb[f], (size_t)cnt[f]);
            at += (size_t)cnt[f];
        }
        char src[4200];
        path_join(src, sizeof src, dir, test ? "test_batch.bin" : "data_batch_1..5.bin", "");
        copy_str(ds->source, sizeof ds->source, src);
        *out = ds;
    }
    for (int f = 0; f < 5; f++) free(px[f]), free(lb[f]);
    return rc;
}

int nn_dataset_load_dir(const char *dir, nn_dataset_kind kind, bool test, nn_dataset **out,
                        em_error *err)
{
    *out = NULL;
    if (kind == NN_DS_CIFAR10) return load_cifar(dir, test, out, err);
    return load_idx(dir, kind, test, out, err);
}

void nn_split_opts_default(nn_split_opts *o)
{
    memset(o, 0, sizeof *o);
    o->val_count = NN_VAL_DEFAULT_COUNT;
    o->val_seed = NN_VAL_SEED;
}

int nn_dataset_subset(const nn_dataset *ds, const uint32_t *idx, int count, nn_dataset **out,
                      em_error *err)
{
    if (count <= 0) return em_fail(err, EM_EINVAL, "dataset subset: empty (%d images)", count);
    nn_dataset *s = ds_alloc(ds->kind, count, ds->c, ds->h, ds->w, ds->classes);
    if (!s) return em_fail(err, EM_ENOMEM, "out of memory");
    size_t sz = (size_t)ds->c * ds->h * ds->w;
    for (int i = 0; i < count; i++) {
        uint32_t j = idx ? idx[i] : (uint32_t)i;
        if (j >= (uint32_t)ds->n) {
            nn_dataset_free(s);
            return em_fail(err, EM_EINVAL, "dataset subset: index %u out of range", j);
        }
        memcpy(s->pixels + i * sz, ds->pixels + j * sz, sz);
        s->labels[i] = ds->labels[j];
    }
    memcpy(s->mean, ds->mean, sizeof s->mean);
    memcpy(s->std, ds->std, sizeof s->std);
    memcpy(s->source, ds->source, sizeof s->source);
    *out = s;
    return EM_OK;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int nn_dataset_split(const nn_dataset *full, const nn_split_opts *opts, nn_dataset **train,
                     nn_dataset **val, em_error *err)
{
    int nv = opts->val_count;
    if (nv <= 0 && opts->val_fraction > 0) nv = (int)(opts->val_fraction * full->n + 0.5);
    if (nv < 0 || nv >= full->n)
        return em_fail(err, EM_EINVAL,
                       "validation split of %d images leaves no training data (%d images)", nv,
                       full->n);
    uint32_t *perm = malloc(sizeof *perm * (size_t)full->n);
    if (!perm) return em_fail(err, EM_ENOMEM, "out of memory");
    for (int i = 0; i < full->n; i++) perm[i] = (uint32_t)i;
    em_rng r;
    em_rng_seed(&r, opts->val_seed);
    em_rng_shuffle_u32(&r, perm, (uint32_t)full->n);
    /* Both parts keep file order, so the split does not depend on later shuffles. */
    qsort(perm, (size_t)nv, sizeof *perm, cmp_u32);
    qsort(perm + nv, (size_t)(full->n - nv), sizeof *perm, cmp_u32);
    int rc = EM_OK;
    if (train) *train = NULL;
    if (val) *val = NULL;
    if (val && nv > 0) rc = nn_dataset_subset(full, perm, nv, val, err);
    if (!rc && train) rc = nn_dataset_subset(full, perm + nv, full->n - nv, train, err);
    if (rc && val) {
        nn_dataset_free(*val);
        *val = NULL;
    }
    free(perm);
    return rc;
}

int nn_dataset_open(const char *spec, const char *root_flag, nn_split split,
                    const nn_split_opts *opts, nn_dataset **out, em_error *err)
{
    nn_split_opts def;
    if (!opts) {
        nn_split_opts_default(&def);
        opts = &def;
    }
    char dir[4096];
    nn_dataset_kind kind;
    *out = NULL;
    int rc = nn_data_resolve(spec, root_flag, dir, sizeof dir, &kind, err);
    if (rc) return rc;
    nn_dataset *full = NULL, *ds = NULL;
    rc = nn_dataset_load_dir(dir, kind, split == NN_SPLIT_TEST, &full, err);
    if (rc) return rc;
    if (split == NN_SPLIT_TEST) {
        ds = full;
    } else {
        rc = nn_dataset_split(full, opts, split == NN_SPLIT_TRAIN ? &ds : NULL,
                              split == NN_SPLIT_VAL ? &ds : NULL, err);
        nn_dataset_free(full);
        if (rc) return rc;
        if (!ds) return em_fail(err, EM_EINVAL, "%s: the validation split is empty", spec);
    }
    if (opts->limit > 0 && opts->limit < ds->n) ds->n = opts->limit; /* keep the first */
    *out = ds;
    return EM_OK;
}

/* ---- conversion, augmentation, batches ------------------------------------------- */

static void convert_image(const nn_dataset *ds, const uint8_t *img, int oh, int ow, float *out)
{
    int top = (oh - ds->h) / 2, left = (ow - ds->w) / 2;
    for (int ch = 0; ch < ds->c; ch++) {
        float scale = 1.0f / (255.0f * ds->std[ch]), shift = -ds->mean[ch] / ds->std[ch];
        float *o = out + (size_t)ch * oh * ow;
        const uint8_t *p = img + (size_t)ch * ds->h * ds->w;
        if (oh != ds->h || ow != ds->w)
            for (int i = 0; i < oh * ow; i++) o[i] = shift;
        for (int y = 0; y < ds->h; y++) {
            float *orow = o + (size_t)(y + top) * ow + left;
            const uint8_t *prow = p + (size_t)y * ds->w;
            for (int x = 0; x < ds->w; x++) orow[x] = (float)prow[x] * scale + shift;
        }
    }
}

static int check_out_shape(const nn_dataset *ds, int c, int oh, int ow, em_error *err)
{
    if (c != ds->c)
        return em_fail(err, EM_EINVAL, "%s: images have %d channel(s), the model expects %d",
                       ds->source, ds->c, c);
    if (oh < ds->h || ow < ds->w)
        return em_fail(err, EM_EINVAL,
                       "%s: images are %dx%d, larger than the model input %dx%d (cropping is "
                       "not supported)",
                       ds->source, ds->h, ds->w, oh, ow);
    return EM_OK;
}

int nn_dataset_to_float(const nn_dataset *ds, const uint32_t *idx, int count, int c, int out_h,
                        int out_w, float *out, int *labels, em_error *err)
{
    int rc = check_out_shape(ds, c, out_h, out_w, err);
    if (rc) return rc;
    size_t isz = (size_t)ds->c * ds->h * ds->w, osz = (size_t)c * out_h * out_w;
    for (int i = 0; i < count; i++) {
        uint32_t j = idx ? idx[i] : (uint32_t)i;
        if (j >= (uint32_t)ds->n)
            return em_fail(err, EM_EINVAL, "dataset: image index %u out of range (%d images)", j,
                           ds->n);
        convert_image(ds, ds->pixels + j * isz, out_h, out_w, out + i * osz);
        if (labels) labels[i] = ds->labels[j];
    }
    return EM_OK;
}

void nn_augment_u8(const uint8_t *src, int c, int h, int w, int pad, bool flip, em_rng *rng,
                   uint8_t *dst)
{
    int dy = 0, dx = 0;
    if (pad > 0) {
        dy = (int)em_rng_below(rng, (uint64_t)(2 * pad + 1)) - pad;
        dx = (int)em_rng_below(rng, (uint64_t)(2 * pad + 1)) - pad;
    }
    bool mirror = flip && (em_rng_u64(rng) >> 63);
    /* Output pixel (y, x) is padded-image pixel (y + pad + dy, x + pad + dx), that is
     * source pixel (y + dy, x + dx), black outside; flipping mirrors the crop. */
    for (int ch = 0; ch < c; ch++) {
        const uint8_t *s = src + (size_t)ch * h * w;
        uint8_t *d = dst + (size_t)ch * h * w;
        for (int y = 0; y < h; y++) {
            int sy = y + dy;
            for (int x = 0; x < w; x++) {
                int xx = mirror ? w - 1 - x : x;
                int sx = xx + dx;
                d[y * w + x] = (sy >= 0 && sy < h && sx >= 0 && sx < w) ? s[sy * w + sx] : 0;
            }
        }
    }
}

int nn_batcher_init(nn_batcher *b, const nn_dataset *ds, int batch, bool shuffle,
                    uint64_t seed, int out_c, int out_h, int out_w, em_error *err)
{
    memset(b, 0, sizeof *b);
    if (batch <= 0) return em_fail(err, EM_EINVAL, "batch size %d must be positive", batch);
    int rc = check_out_shape(ds, out_c, out_h, out_w, err);
    if (rc) return rc;
    b->ds = ds;
    b->batch = batch;
    b->shuffle = shuffle;
    b->out_c = out_c;
    b->out_h = out_h;
    b->out_w = out_w;
    em_rng_seed(&b->rng, seed);
    b->order = malloc(sizeof *b->order * (size_t)ds->n);
    b->scratch = malloc((size_t)ds->c * ds->h * ds->w);
    if (!b->order || !b->scratch) {
        nn_batcher_free(b);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    for (int i = 0; i < ds->n; i++) b->order[i] = (uint32_t)i;
    b->pos = ds->n; /* nothing until the first reset */
    return EM_OK;
}

void nn_batcher_free(nn_batcher *b)
{
    free(b->order);
    free(b->scratch);
    memset(b, 0, sizeof *b);
}

void nn_batcher_reset(nn_batcher *b)
{
    for (int i = 0; i < b->ds->n; i++) b->order[i] = (uint32_t)i;
    if (b->shuffle) em_rng_shuffle_u32(&b->rng, b->order, (uint32_t)b->ds->n);
    b->pos = 0;
}

int nn_batcher_next(nn_batcher *b, float *x, int *y)
{
    const nn_dataset *ds = b->ds;
    int m = ds->n - b->pos;
    if (m > b->batch) m = b->batch;
    if (m <= 0) return 0;
    size_t isz = (size_t)ds->c * ds->h * ds->w, osz = (size_t)b->out_c * b->out_h * b->out_w;
    bool aug = b->aug_pad > 0 || b->aug_flip;
    for (int i = 0; i < m; i++) {
        uint32_t j = b->order[b->pos + i];
        const uint8_t *img = ds->pixels + j * isz;
        if (aug) {
            nn_augment_u8(img, ds->c, ds->h, ds->w, b->aug_pad, b->aug_flip, &b->rng,
                          b->scratch);
            img = b->scratch;
        }
        convert_image(ds, img, b->out_h, b->out_w, x + i * osz);
        if (y) y[i] = ds->labels[j];
    }
    b->pos += m;
    return m;
}

int nn_batcher_batches_per_epoch(const nn_batcher *b)
{
    return (b->ds->n + b->batch - 1) / b->batch;
}
