/* coding/coding.c: the normal, COO and CSR (relative index) encoders and decoders,
 * the stream header, and the exact, expected and emomc2021 size formulas. */
#include "coding/coding.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

static const char *const kind_names[CODING_KIND_COUNT] = {"normal", "coo", "csr"};
static const uint8_t magic[4] = {'E', 'M', 'W', 'C'};
enum { STREAM_VERSION = 1 };

const char *coding_kind_name(coding_kind k)
{
    return (k >= 0 && k < CODING_KIND_COUNT) ? kind_names[k] : "?";
}

int coding_kind_parse(const char *s, coding_kind *out, em_error *err)
{
    for (int i = 0; s && i < CODING_KIND_COUNT; i++)
        if (strcasecmp(s, kind_names[i]) == 0) { *out = (coding_kind)i; return EM_OK; }
    return em_fail(err, EM_EINVAL, "unknown coding '%s' (expected normal, coo or csr)",
                   s ? s : "(null)");
}

int coding_coo_index_bits(int64_t n)
{
    int k = 0;
    while (k < 63 && ((int64_t)1 << k) < n) k++;
    return k;
}

int coding_check_params(coding_kind k, int64_t n, int q_bits, int idx_bits, em_error *err)
{
    if (k < 0 || k >= CODING_KIND_COUNT)
        return em_fail(err, EM_EINVAL, "coding: unknown kind %d", (int)k);
    if (n < 1 || n > CODING_MAX_N)
        return em_fail(err, EM_EINVAL, "coding: weight count %lld is out of range [1, %lld]",
                       (long long)n, (long long)CODING_MAX_N);
    if (q_bits < 1 || q_bits > CODING_MAX_Q)
        return em_fail(err, EM_EINVAL, "coding: bit width q = %d is out of range [1, %d]",
                       q_bits, CODING_MAX_Q);
    if (k == CODING_CSR && (idx_bits < 1 || idx_bits > CODING_MAX_IDX_BITS))
        return em_fail(err, EM_EINVAL,
                       "coding: CSR index width b = %d is out of range [1, %d]", idx_bits,
                       CODING_MAX_IDX_BITS);
    return EM_OK;
}

/* Index width actually stored in the stream for this kind. */
static int stored_idx_bits(coding_kind k, int64_t n, int idx_bits)
{
    if (k == CODING_CSR) return idx_bits;
    if (k == CODING_COO) return coding_coo_index_bits(n);
    return 0;
}

static int32_t code_max(int q) { return (int32_t)((((int64_t)1) << (q - 1)) - 1); }

/* ---- counting ------------------------------------------------------------------ */

/* Fillers needed before a non-zero that is `gap` positions after the previous one
 * (gap >= 1): one per full 2^b positions, i.e. ceil(gap / 2^b) - 1. */
static int64_t gap_fillers(int64_t gap, int idx_bits)
{
    return (gap - 1) >> idx_bits;
}

#define COUNT_BODY(arr)                                                   \
    int64_t prev = -1, nnz = 0, fill = 0;                                 \
    for (int64_t i = 0; i < n; i++) {                                     \
        if (!(arr)[i]) continue;                                          \
        fill += gap_fillers(i - prev, idx_bits);                          \
        prev = i;                                                         \
        nnz++;                                                            \
    }                                                                     \
    out->n = n;                                                           \
    out->nnz = nnz;                                                       \
    out->fillers = fill

void coding_count_codes(const int32_t *codes, int64_t n, int idx_bits, coding_counts *out)
{
    COUNT_BODY(codes);
}

void coding_count_mask(const uint8_t *mask, int64_t n, int idx_bits, coding_counts *out)
{
    COUNT_BODY(mask);
}

#undef COUNT_BODY

/* ---- sizes ---------------------------------------------------------------------- */

int64_t coding_size_bits_exact(coding_kind kind, const coding_counts *c, int q_bits,
                               int idx_bits)
{
    if (coding_check_params(kind, c->n, q_bits, idx_bits, NULL)) return -1;
    switch (kind) {
    case CODING_NORMAL: return c->n * q_bits;
    case CODING_COO: return c->nnz * (q_bits + coding_coo_index_bits(c->n));
    case CODING_CSR: return (c->nnz + c->fillers) * (q_bits + idx_bits);
    default: return -1;
    }
}

double coding_csr_fillers_expected(int64_t n, double p, int idx_bits)
{
    if (coding_check_params(CODING_CSR, n, 1, idx_bits, NULL) || !(p >= 0.0 && p <= 1.0))
        return -1.0;
    if (p == 0.0 || p == 1.0) return 0.0;
    /* p * sum_{k=1..K} (n - kB) r^k with r = (1-p)^B. */
    int64_t B = (int64_t)1 << idx_bits, K = n / B;
    double lr = (double)B * log1p(-p); /* ln r */
    double sum = 0.0;
    if (K <= 1024) {
        double r = exp(lr), rk = 1.0;
        for (int64_t k = 1; k <= K; k++) {
            rk *= r;
            sum += (double)(n - k * B) * rk;
        }
    } else {
        /* Closed form: n*G - B*H with G = sum r^k, H = sum k r^k, k = 1..K, written
         * with expm1 so that r near 1 (tiny p) keeps its precision. */
        double r = exp(lr), omr = -expm1(lr), rK = exp((double)K * lr);
        double G = r * -expm1((double)K * lr) / omr;
        double H = r * (-expm1((double)K * lr) - (double)K * rK * omr) / (omr * omr);
        sum = (double)n * G - (double)B * H;
    }
    return p * sum;
}

double coding_size_bits_expected(coding_kind kind, int64_t n, double p, int q_bits,
                                 int idx_bits)
{
    if (coding_check_params(kind, n, q_bits, idx_bits, NULL) || !(p >= 0.0 && p <= 1.0))
        return -1.0;
    switch (kind) {
    case CODING_NORMAL: return (double)n * q_bits;
    case CODING_COO: return p * (double)n * (q_bits + coding_coo_index_bits(n));
    case CODING_CSR:
        return (p * (double)n + coding_csr_fillers_expected(n, p, idx_bits)) *
               (q_bits + idx_bits);
    default: return -1.0;
    }
}

double coding_size_bits_emomc2021(coding_kind kind, int64_t n, double p, int q_bits)
{
    if (coding_check_params(kind, n, q_bits, CODING_CSR_IDX_BITS_DEFAULT, NULL) ||
        !(p >= 0.0 && p <= 1.0))
        return -1.0;
    double N = (double)n, q = q_bits;
    switch (kind) {
    case CODING_NORMAL: return N * q;
    case CODING_CSR: return N * rint(q + 3.0) * p;
    case CODING_COO: return N * rint(q + log2(N)) * p;
    default: return -1.0;
    }
}

/* ---- bit I/O -------------------------------------------------------------------- */

/* MSB-first bit writer into a buffer sized exactly by the caller. */
typedef struct bitw {
    uint8_t *p;
    uint64_t acc;
    int nacc;  /* bits pending in acc, < 8 between calls */
} bitw;

static void bw_put(bitw *w, uint64_t v, int k) /* k <= 56 */
{
    if (k == 0) return;
    w->acc = (w->acc << k) | (v & ((((uint64_t)1) << k) - 1));
    w->nacc += k;
    while (w->nacc >= 8) {
        w->nacc -= 8;
        *w->p++ = (uint8_t)(w->acc >> w->nacc);
    }
}

static void bw_flush(bitw *w)
{
    if (w->nacc) *w->p++ = (uint8_t)(w->acc << (8 - w->nacc));
    w->nacc = 0;
}

typedef struct bitr {
    const uint8_t *p, *end;
    uint64_t acc;
    int nacc;
} bitr;

/* Reads k <= 56 bits. The caller has checked the payload length, so running out
 * means a bug; it still returns zeros instead of reading past the end. */
static uint64_t br_get(bitr *r, int k)
{
    if (k == 0) return 0;
    while (r->nacc < k) {
        r->acc = (r->acc << 8) | (r->p < r->end ? *r->p++ : 0);
        r->nacc += 8;
    }
    r->nacc -= k;
    return (r->acc >> r->nacc) & ((((uint64_t)1) << k) - 1);
}

static uint64_t to_field(int32_t c, int q) { return (uint64_t)(int64_t)c & ((((uint64_t)1) << q) - 1); }

static int64_t from_field(uint64_t v, int q)
{
    uint64_t sign = ((uint64_t)1) << (q - 1);
    return (v & sign) ? (int64_t)v - (int64_t)(sign << 1) : (int64_t)v;
}

/* ---- header --------------------------------------------------------------------- */

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* CRC-32 of the header's first 24 bytes and the payload. */
static uint32_t stream_crc(const uint8_t *bytes, size_t n_bytes)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, bytes, 24);
    const uint8_t *p = bytes + CODING_HEADER_BYTES;
    size_t left = n_bytes - CODING_HEADER_BYTES;
    while (left) {
        uInt chunk = left > (1u << 30) ? (1u << 30) : (uInt)left;
        crc = crc32(crc, p, chunk);
        p += chunk;
        left -= chunk;
    }
    return (uint32_t)crc;
}

int coding_stream_info(const coding_stream *s, coding_info *info, em_error *err)
{
    if (!s || !s->bytes || s->n_bytes < CODING_HEADER_BYTES)
        return em_fail(err, EM_EFORMAT, "coded weights: truncated header (%zu of %d bytes)",
                       s && s->bytes ? s->n_bytes : (size_t)0, CODING_HEADER_BYTES);
    const uint8_t *h = s->bytes;
    if (memcmp(h, magic, 4) != 0)
        return em_fail(err, EM_EFORMAT, "coded weights: bad magic (not an emomc weight stream)");
    if (h[4] != STREAM_VERSION)
        return em_fail(err, EM_EFORMAT, "coded weights: unsupported version %d", h[4]);
    if (h[5] >= CODING_KIND_COUNT)
        return em_fail(err, EM_EFORMAT, "coded weights: unknown coding kind %d", h[5]);
    coding_info in = {.kind = (coding_kind)h[5], .q_bits = h[6], .idx_bits = h[7]};
    uint64_t n = get_u64(h + 8), entries = get_u64(h + 16);
    if (h[28] | h[29] | h[30] | h[31])
        return em_fail(err, EM_EFORMAT, "coded weights: reserved header bytes are not zero");
    if (n < 1 || n > (uint64_t)CODING_MAX_N)
        return em_fail(err, EM_EFORMAT, "coded weights: weight count %llu is out of range",
                       (unsigned long long)n);
    in.n = (int64_t)n;
    if (coding_check_params(in.kind, in.n, in.q_bits, in.idx_bits, NULL))
        return em_fail(err, EM_EFORMAT, "coded weights: bad header (%s, q = %d, b = %d)",
                       coding_kind_name(in.kind), in.q_bits, in.idx_bits);
    if (in.idx_bits != stored_idx_bits(in.kind, in.n, in.idx_bits))
        return em_fail(err, EM_EFORMAT,
                       "coded weights: index width %d does not match %s with %lld weights",
                       in.idx_bits, coding_kind_name(in.kind), (long long)in.n);
    if (entries > n || (in.kind == CODING_NORMAL && entries != n))
        return em_fail(err, EM_EFORMAT, "coded weights: %llu entries for %llu weights",
                       (unsigned long long)entries, (unsigned long long)n);
    in.entries = (int64_t)entries;
    in.payload_bits = in.entries * (in.q_bits + in.idx_bits);
    uint64_t want = CODING_HEADER_BYTES + ((uint64_t)in.payload_bits + 7) / 8;
    if ((uint64_t)s->n_bytes != want)
        return em_fail(err, EM_EFORMAT,
                       "coded weights: %s: stream is %zu bytes, header says %llu",
                       (uint64_t)s->n_bytes < want ? "truncated" : "trailing data",
                       s->n_bytes, (unsigned long long)want);
    if (info) *info = in;
    return EM_OK;
}

/* ---- encode --------------------------------------------------------------------- */

int coding_encode(coding_kind kind, const int32_t *codes, int64_t n, int q_bits,
                  int idx_bits, coding_stream *out, em_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = coding_check_params(kind, n, q_bits, idx_bits, err);
    if (rc) return rc;
    int32_t cmax = code_max(q_bits);
    for (int64_t i = 0; i < n; i++)
        if (codes[i] > cmax || codes[i] < -cmax)
            return em_fail(err, EM_EINVAL,
                           "coding: weight %lld has code %d, outside [-%d, %d] for q = %d",
                           (long long)i, codes[i], cmax, cmax, q_bits);

    int b = stored_idx_bits(kind, n, idx_bits);
    coding_counts c;
    coding_count_codes(codes, n, kind == CODING_CSR ? b : 1, &c);
    int64_t entries = kind == CODING_NORMAL ? n
                    : kind == CODING_COO    ? c.nnz
                                            : c.nnz + c.fillers;
    int64_t bits = entries * (q_bits + b);
    size_t n_bytes = CODING_HEADER_BYTES + (size_t)((bits + 7) / 8);
    uint8_t *buf = calloc(n_bytes, 1);
    if (!buf) return em_fail(err, EM_ENOMEM, "coding: out of memory for %zu bytes", n_bytes);

    memcpy(buf, magic, 4);
    buf[4] = STREAM_VERSION;
    buf[5] = (uint8_t)kind;
    buf[6] = (uint8_t)q_bits;
    buf[7] = (uint8_t)b;
    put_u64(buf + 8, (uint64_t)n);
    put_u64(buf + 16, (uint64_t)entries);

    bitw w = {buf + CODING_HEADER_BYTES, 0, 0};
    if (kind == CODING_NORMAL) {
        for (int64_t i = 0; i < n; i++) bw_put(&w, to_field(codes[i], q_bits), q_bits);
    } else if (kind == CODING_COO) {
        for (int64_t i = 0; i < n; i++) {
            if (!codes[i]) continue;
            bw_put(&w, to_field(codes[i], q_bits), q_bits);
            bw_put(&w, (uint64_t)i, b);
        }
    } else {
        int64_t prev = -1, span = (int64_t)1 << b;
        for (int64_t i = 0; i < n; i++) {
            if (!codes[i]) continue;
            while (i - prev > span) { /* filler at prev + 2^b */
                bw_put(&w, 0, q_bits);
                bw_put(&w, (uint64_t)(span - 1), b);
                prev += span;
            }
            bw_put(&w, to_field(codes[i], q_bits), q_bits);
            bw_put(&w, (uint64_t)(i - prev - 1), b);
            prev = i;
        }
    }
    bw_flush(&w);

    uint32_t crc = stream_crc(buf, n_bytes);
    for (int i = 0; i < 4; i++) buf[24 + i] = (uint8_t)(crc >> (8 * i));
    out->bytes = buf;
    out->n_bytes = n_bytes;
    out->payload_bits = bits;
    return EM_OK;
}

/* ---- decode --------------------------------------------------------------------- */

int coding_decode(const coding_stream *s, int32_t *codes_out, int64_t n, em_error *err)
{
    coding_info in;
    int rc = coding_stream_info(s, &in, err);
    if (rc) return rc;
    uint32_t crc = 0;
    for (int i = 3; i >= 0; i--) crc = (crc << 8) | s->bytes[24 + i];
    if (crc != stream_crc(s->bytes, s->n_bytes))
        return em_fail(err, EM_EFORMAT, "coded weights: checksum mismatch (corrupt stream)");
    if (n != in.n)
        return em_fail(err, EM_EINVAL, "coded weights: stream holds %lld weights, caller "
                       "expects %lld", (long long)in.n, (long long)n);

    const int q = in.q_bits, b = in.idx_bits;
    const int64_t cmax = code_max(q);
    bitr r = {s->bytes + CODING_HEADER_BYTES, s->bytes + s->n_bytes, 0, 0};
    memset(codes_out, 0, (size_t)n * sizeof *codes_out);
    int64_t prev = -1, span = (int64_t)1 << b;
    for (int64_t e = 0; e < in.entries; e++) {
        int64_t v = from_field(br_get(&r, q), q);
        if (v > cmax || v < -cmax)
            return em_fail(err, EM_EFORMAT, "coded weights: entry %lld: value %lld outside "
                           "[-%lld, %lld]", (long long)e, (long long)v, (long long)cmax,
                           (long long)cmax);
        int64_t pos;
        if (in.kind == CODING_NORMAL) {
            pos = e;
        } else {
            int64_t idx = (int64_t)br_get(&r, b);
            pos = in.kind == CODING_COO ? idx : prev + idx + 1;
            if (pos <= prev || pos >= n)
                return em_fail(err, EM_EFORMAT, "coded weights: entry %lld: position %lld "
                               "out of order or past %lld weights", (long long)e,
                               (long long)pos, (long long)n);
            if (v == 0 && (in.kind == CODING_COO || idx != span - 1 ||
                           e == in.entries - 1))
                return em_fail(err, EM_EFORMAT, "coded weights: entry %lld: unexpected "
                               "zero value", (long long)e);
        }
        codes_out[pos] = (int32_t)v;
        prev = pos;
    }
    /* Padding bits of the last byte must be zero. */
    if (r.nacc && (r.acc & ((((uint64_t)1) << r.nacc) - 1)))
        return em_fail(err, EM_EFORMAT, "coded weights: non-zero padding bits");
    return EM_OK;
}

void coding_stream_free(coding_stream *s)
{
    if (!s) return;
    free(s->bytes);
    memset(s, 0, sizeof *s);
}
