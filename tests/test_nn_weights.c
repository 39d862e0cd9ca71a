/* tests/test_nn_weights.c: the .emw weights file: round trips, every kind of damage
 * (truncation, bad magic, version, checksum, table bounds) refused with a clear
 * message, and the checks against a model (missing, mis-shaped, unknown tensors).
 *
 * Oracles: the byte layout documented in nn/weights.h (the header fields are
 * checked at their offsets), zlib's crc32 recomputed here, and bit-exact equality
 * of everything written and read back. Float16 storage: every half value converts
 * to float and back unchanged; float -> half is checked against a brute-force
 * nearest-value search (ties to even) and hand cases at the range limits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/half.h"
#include "common/rng.h"
#include "spec/arch.h"
#include "nn/net.h"
#include "nn/weights.h"
#include "tests/testutil.h"

static nn_weights *sample_set(void)
{
    em_error err = {0};
    nn_weights *w = nn_weights_new();
    float a[2 * 3 * 2];
    for (int i = 0; i < 12; i++) a[i] = (float)i * 0.25f - 1.0f;
    a[5] = -0.0f;
    int64_t sa[3] = {2, 3, 2};
    ck_assert_int_eq(nn_weights_add(w, "layer.weight", NN_DT_F32, 3, sa, a, &err), 0);
    float b[1] = {3.5e-38f};
    int64_t sb[1] = {1};
    ck_assert_int_eq(nn_weights_add(w, "layer.bias", NN_DT_F32, 1, sb, b, &err), 0);
    uint8_t m[12] = {1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1};
    ck_assert_int_eq(nn_weights_add(w, "layer.weight_mask", NN_DT_U8, 3, sa, m, &err), 0);
    ck_assert_int_eq(nn_weights_set_meta(w, "model", "toy", &err), 0);
    ck_assert_int_eq(nn_weights_set_meta(w, "recipe", "sgd lr=0.1 \"quoted\"\nline 2", &err), 0);
    ck_assert_int_eq(nn_weights_set_meta(w, "model", "toy2", &err), 0); /* replaces */
    return w;
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*n + 1);
    ck_assert_uint_eq(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void fix_crc(uint8_t *b, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    c = crc32(c, b, (uInt)(n - 4));
    for (int i = 0; i < 4; i++) b[n - 4 + i] = (uint8_t)(c >> (8 * i));
}

START_TEST(round_trip)
{
    em_error err = {0};
    nn_weights *w = sample_set(), *r = NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/w.emw", tu_tmpdir());
    ck_assert_msg(nn_weights_save(w, path, &err) == 0, "%s", err.msg);
    ck_assert_msg(nn_weights_load(path, &r, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(r->n, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_str_eq(r->t[i].name, w->t[i].name);
        ck_assert_int_eq(r->t[i].dtype, w->t[i].dtype);
        ck_assert_int_eq(r->t[i].ndim, w->t[i].ndim);
        ck_assert_int_eq(r->t[i].numel, w->t[i].numel);
        ck_assert_mem_eq(r->t[i].shape, w->t[i].shape, sizeof(int64_t) * (size_t)w->t[i].ndim);
        size_t bytes = (size_t)w->t[i].numel * (w->t[i].dtype == NN_DT_U8 ? 1 : 4);
        ck_assert_mem_eq(r->t[i].data, w->t[i].data, bytes); /* bit exact, -0.0 included */
    }
    ck_assert_str_eq(nn_weights_meta(r, "model"), "toy2");
    ck_assert_str_eq(nn_weights_meta(r, "recipe"), "sgd lr=0.1 \"quoted\"\nline 2");
    ck_assert_ptr_null(nn_weights_meta(r, "absent"));

    /* The header as documented: magic, version 1, counts, size, offsets, CRC. */
    size_t n;
    uint8_t *b = slurp(path, &n);
    ck_assert_mem_eq(b, "\x89" "EMW\r\n\x1a\n", 8);
    ck_assert_int_eq(b[8], 1);
    ck_assert_int_eq(b[12], 3);
    ck_assert_int_eq(b[16], 2);
    ck_assert_uint_eq(rd64(b + 24), n);
    ck_assert_uint_eq(rd64(b + 40) % 64, 0);
    uLong c = crc32(crc32(0L, Z_NULL, 0), b, (uInt)(n - 4));
    ck_assert_uint_eq((uint32_t)c, (uint32_t)(b[n - 4] | b[n - 3] << 8 | b[n - 2] << 16 |
                                               (uint32_t)b[n - 1] << 24));
    /* The first tensor's floats sit at the data offset, little-endian float32. */
    float f0;
    memcpy(&f0, b + rd64(b + 40), 4);
    ck_assert_float_eq(f0, -1.0f);
    free(b);
    nn_weights_free(w);
    nn_weights_free(r);
}
END_TEST

static void expect_parse_fail(const uint8_t *b, size_t n, const char *needle)
{
    em_error err = {0};
    nn_weights *w = NULL;
    ck_assert_msg(nn_weights_parse(b, n, "x.emw", &w, &err) != 0, "parse succeeded, expected %s",
                  needle);
    ck_assert_ptr_null(w);
    ck_assert_msg(strstr(err.msg, "x.emw") && strstr(err.msg, needle), "expected '%s' in: %s",
                  needle, err.msg);
}

START_TEST(damage_is_refused)
{
    em_error err = {0};
    nn_weights *w = sample_set();
    char path[4096];
    snprintf(path, sizeof path, "%s/w.emw", tu_tmpdir());
    ck_assert_int_eq(nn_weights_save(w, path, &err), 0);
    nn_weights_free(w);
    size_t n;
    uint8_t *good = slurp(path, &n), *b = malloc(n + 16);

    /* Truncation anywhere: shorter than the header, or than the recorded size. */
    expect_parse_fail(good, 20, "truncated");
    for (size_t cut = 52; cut < n; cut += 37) expect_parse_fail(good, cut, "truncated");
    memcpy(b, good, n);
    memset(b + n, 0, 8);
    expect_parse_fail(b, n + 8, "unexpected bytes");
    /* Magic, version. */
    memcpy(b, good, n);
    b[1] = 'X';
    expect_parse_fail(b, n, "bad magic");
    expect_parse_fail((const uint8_t *)"hello", 5, "bad magic");
    memcpy(b, good, n);
    b[8] = 2;
    expect_parse_fail(b, n, "version 2");
    /* Any flipped bit in the body is caught by the checksum. */
    for (size_t k = 48; k < n - 4; k += 13) {
        memcpy(b, good, n);
        b[k] ^= 0x10;
        expect_parse_fail(b, n, "checksum mismatch");
    }
    /* Table entries out of bounds, with a valid checksum: the loader still refuses. */
    uint64_t toff = rd64(good + 32);
    memcpy(b, good, n);
    /* First tensor: u16 name length, name (12 bytes), dtype, ndim, 3 dims, offset, bytes. */
    size_t off_at = toff + 2 + 12 + 2 + 3 * 8;
    b[off_at + 2] = 0x7f; /* offset far beyond the data */
    fix_crc(b, n);
    expect_parse_fail(b, n, "out of bounds");
    memcpy(b, good, n);
    b[toff + 2 + 12 + 2] = 5; /* first dim 2 -> 5: size no longer matches the bytes */
    fix_crc(b, n);
    expect_parse_fail(b, n, "out of bounds");
    memcpy(b, good, n);
    b[toff + 2 + 12] = 9; /* dtype */
    fix_crc(b, n);
    expect_parse_fail(b, n, "bad dtype");
    memcpy(b, good, n);
    b[toff] = 0xff; /* name length 65535 runs past the table */
    b[toff + 1] = 0xff;
    fix_crc(b, n);
    expect_parse_fail(b, n, "runs past");
    memcpy(b, good, n);
    b[40] = 0xff; /* data offset beyond the file */
    fix_crc(b, n);
    expect_parse_fail(b, n, "offsets out of bounds");
    memcpy(b, good, n);
    b[48] = 0xff; /* first metadata key length */
    fix_crc(b, n);
    expect_parse_fail(b, n, "metadata");

    /* Loading from disk names the file; a missing file says so. */
    char bad[4200];
    snprintf(bad, sizeof bad, "%s.cut", path);
    FILE *f = fopen(bad, "wb");
    fwrite(good, 1, n - 10, f);
    fclose(f);
    nn_weights *r = NULL;
    ck_assert_int_ne(nn_weights_load(bad, &r, &err), 0);
    ck_assert_msg(strstr(err.msg, bad) && strstr(err.msg, "truncated"), "%s", err.msg);
    snprintf(bad, sizeof bad, "%s/none.emw", tu_tmpdir());
    ck_assert_int_ne(nn_weights_load(bad, &r, &err), 0);
    ck_assert_msg(strstr(err.msg, "cannot open"), "%s", err.msg);
    free(good);
    free(b);
}
END_TEST

START_TEST(bad_arguments)
{
    em_error err = {0};
    nn_weights *w = nn_weights_new();
    int64_t s[2] = {2, 0};
    float d[4] = {0};
    ck_assert_int_ne(nn_weights_add(w, "a", NN_DT_F32, 2, s, d, &err), 0);
    s[1] = 2;
    ck_assert_int_ne(nn_weights_add(w, "", NN_DT_F32, 2, s, d, &err), 0);
    ck_assert_int_ne(nn_weights_add(w, "a", NN_DT_F32, 9, s, d, &err), 0);
    ck_assert_int_eq(nn_weights_add(w, "a", NN_DT_F32, 2, s, d, &err), 0);
    ck_assert_int_ne(nn_weights_add(w, "a", NN_DT_F32, 2, s, d, &err), 0);
    ck_assert_msg(strstr(err.msg, "twice"), "%s", err.msg);
    /* Writing below a regular file fails and leaves nothing behind (a missing folder
     * would be made: common/atomicfile.h). */
    char file[1024], below[1100];
    snprintf(file, sizeof file, "%s/plain", tu_tmpdir());
    FILE *pf = fopen(file, "w");
    fclose(pf);
    snprintf(below, sizeof below, "%s/x.emw", file);
    ck_assert_int_ne(nn_weights_save(w, below, &err), 0);
    ck_assert_msg(strstr(err.msg, "not a directory"), "%s", err.msg);
    nn_weights_free(w);
}
END_TEST

static nn_net *make_net(const char *yaml)
{
    em_error err = {0};
    nn_arch *a;
    ck_assert_msg(nn_arch_parse(yaml, "toy.yaml", &a, &err) == 0, "%s", err.msg);
    nn_net *net;
    ck_assert_msg(nn_net_new(a, &net, &err) == 0, "%s", err.msg);
    nn_arch_free(a);
    return net;
}

static const char *TOY = "name: toy\ninput: [2, 6, 6]\nclasses: 3\nlayers:\n"
                         "  - {name: conv1, type: conv, out: 4, kernel: 3}\n"
                         "  - {name: bn1, type: bn}\n"
                         "  - {type: relu}\n"
                         "  - {type: flatten}\n"
                         "  - {name: fc, type: linear, out: 3}\n";

START_TEST(net_round_trip_and_model_checks)
{
    em_error err = {0};
    nn_net *net = make_net(TOY), *net2 = make_net(TOY);
    nn_net_init(net, 11);
    nn_net_init(net2, 12);
    nn_param *bm = nn_net_find_param(net, "bn1.running_mean");
    ck_assert_ptr_nonnull(bm);
    for (int i = 0; i < 4; i++) bm->data[i] = 0.5f * i; /* buffers travel too */
    float mask[4 * 2 * 3 * 3];
    for (int i = 0; i < 72; i++) mask[i] = (float)(i % 3 != 0);
    ck_assert_int_eq(nn_net_set_mask(net, "conv1.weight", mask, &err), 0);

    char path[4096];
    snprintf(path, sizeof path, "%s/toy.emw", tu_tmpdir());
    nn_weights *w;
    ck_assert_int_eq(nn_weights_from_net(net, &w, &err), 0);
    ck_assert_ptr_nonnull(nn_weights_find(w, "conv1.weight_mask"));
    ck_assert_int_eq(nn_weights_save(w, path, &err), 0);
    ck_assert_msg(nn_weights_load_into(path, net2, NULL, &err) == 0, "%s", err.msg);
    for (int i = 0; i < nn_net_param_count(net); i++) {
        nn_param *p = nn_net_param(net, i), *q = nn_net_param(net2, i);
        ck_assert_str_eq(p->name, q->name);
        ck_assert_mem_eq(p->data, q->data, sizeof(float) * (size_t)p->numel);
        ck_assert_int_eq(p->mask != NULL, q->mask != NULL);
        if (p->mask) ck_assert_mem_eq(p->mask, q->mask, sizeof(float) * (size_t)p->numel);
    }
    /* Same output from both nets. */
    float x[2 * 72], l1[6], l2[6];
    for (int i = 0; i < 144; i++) x[i] = (float)((i * 37) % 11) / 5.0f - 1.0f;
    ck_assert_int_eq(nn_net_forward(net, x, 2, l1, false, &err), 0);
    ck_assert_int_eq(nn_net_forward(net2, x, 2, l2, false, &err), 0);
    ck_assert_mem_eq(l1, l2, sizeof l1);

    /* Against a different model: shape mismatch, missing and unknown tensors. */
    nn_net *other = make_net("name: toy\ninput: [2, 6, 6]\nclasses: 3\nlayers:\n"
                             "  - {name: conv1, type: conv, out: 5, kernel: 3}\n"
                             "  - {name: bn1, type: bn}\n"
                             "  - {type: flatten}\n"
                             "  - {name: fc, type: linear, out: 3}\n");
    ck_assert_int_ne(nn_weights_apply(w, other, path, &err), 0);
    ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, "'conv1.weight' has shape 4x2x3x3") &&
                      strstr(err.msg, "needs 5x2x3x3"),
                  "%s", err.msg);
    nn_net *nobn = make_net("name: toy\ninput: [2, 6, 6]\nclasses: 3\nlayers:\n"
                            "  - {name: conv1, type: conv, out: 4, kernel: 3}\n"
                            "  - {type: relu}\n  - {type: flatten}\n"
                            "  - {name: fc, type: linear, out: 3}\n");
    ck_assert_int_ne(nn_weights_apply(w, nobn, path, &err), 0);
    ck_assert_msg(strstr(err.msg, "'bn1.weight' is not a parameter"), "%s", err.msg);
    nn_net *extra = make_net("name: toy\ninput: [2, 6, 6]\nclasses: 3\nlayers:\n"
                             "  - {name: conv1, type: conv, out: 4, kernel: 3}\n"
                             "  - {name: bn1, type: bn}\n  - {type: flatten}\n"
                             "  - {name: fc, type: linear, out: 3}\n"
                             "  - {name: fc2, type: linear, out: 3}\n");
    nn_net_init(extra, 5);
    nn_param *p = nn_net_find_param(extra, "conv1.weight");
    float before[72];
    memcpy(before, p->data, sizeof before);
    ck_assert_int_ne(nn_weights_apply(w, extra, path, &err), 0);
    ck_assert_msg(strstr(err.msg, "'fc2.weight' (3x3) of model toy is missing"), "%s", err.msg);
    /* A failed apply leaves the network untouched (conv1 would have matched). */
    ck_assert_mem_eq(p->data, before, sizeof before);
    /* A mask holding something other than 0/1. */
    nn_wtensor *mt = (nn_wtensor *)nn_weights_find(w, "conv1.weight_mask");
    ((uint8_t *)mt->data)[3] = 2;
    ck_assert_int_ne(nn_weights_apply(w, net2, path, &err), 0);
    ck_assert_msg(strstr(err.msg, "only 0 and 1"), "%s", err.msg);
    nn_weights_free(w);
    nn_net_free(net);
    nn_net_free(net2);
    nn_net_free(other);
    nn_net_free(nobn);
    nn_net_free(extra);
}
END_TEST

START_TEST(half_conversions)
{
    /* Every half survives half -> float -> half; NaN stays NaN. */
    for (uint32_t h = 0; h <= 0xffff; h++) {
        float f = em_half_to_float((uint16_t)h);
        bool nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
        if (nan) ck_assert(isnan(f) && isnan(em_half_to_float(em_half_from_float(f))));
        else ck_assert_uint_eq(em_half_from_float(f), h);
    }
    /* Hand cases. */
    const struct { float f; uint16_t h; } hc[] = {
        {1.0f, 0x3c00}, {-2.0f, 0xc000}, {-0.0f, 0x8000}, {65504.0f, 0x7bff},
        {65519.0f, 0x7bff}, {65520.0f, 0x7c00}, {1e9f, 0x7c00}, {-INFINITY, 0xfc00},
        {0x1p-24f, 0x0001}, {0x1p-25f, 0x0000}, {0x1.8p-25f, 0x0001}, {0x1.8p-24f, 0x0002},
        {0x1p-14f, 0x0400}, {0x1.ffcp-15f, 0x0400}, {1e-30f, 0x0000},
        {1.0f + 0x1p-11f, 0x3c00}, {1.0f + 0x3p-11f, 0x3c02}, {1.0f + 0x1.8p-11f, 0x3c01},
    };
    for (size_t i = 0; i < sizeof hc / sizeof *hc; i++)
        ck_assert_msg(em_half_from_float(hc[i].f) == hc[i].h, "%a: got %04x, want %04x", hc[i].f,
                      em_half_from_float(hc[i].f), hc[i].h);
    /* Random floats in half's range: the result is the nearest half (the candidates
     * are the two halves around it), ties to the even one. */
    em_rng r;
    em_rng_seed(&r, 5);
    for (int i = 0; i < 400000; i++) {
        float f;
        uint32_t bits = (uint32_t)em_rng_u64(&r) & 0x7fffffffu;
        if (i % 2) bits = 0x30000000u + bits % (0x477fe000u - 0x30000000u); /* subnormals up */
        else bits %= 0x477fe001u;
        memcpy(&f, &bits, 4);
        uint16_t h = em_half_from_float(f);
        double v = em_half_to_float(h), d = fabs(v - f);
        double up = h < 0x7bff ? fabs(em_half_to_float((uint16_t)(h + 1)) - (double)f) : INFINITY;
        double dn = h > 0 ? fabs(em_half_to_float((uint16_t)(h - 1)) - (double)f) : INFINITY;
        ck_assert_msg(d <= up && d <= dn, "%a -> %04x is not the nearest", f, h);
        if (d == up || d == dn) ck_assert_msg((h & 1) == 0, "%a: tie not to even", f);
        uint16_t hn = em_half_from_float(-f);
        ck_assert_uint_eq(hn, h | 0x8000);
    }
}
END_TEST

/* A set stored as float16: half the bytes, loads back to the rounded values; masks
 * and optimizer state keep their dtypes; values beyond the range are refused. */
START_TEST(half_storage)
{
    em_error err = {0};
    nn_weights *w = nn_weights_new();
    enum { N = 1000 };
    float a[N], opt[4] = {1.0f / 3.0f, 1e-30f, 70000.0f, -2.5f};
    em_rng r;
    em_rng_seed(&r, 9);
    for (int i = 0; i < N; i++) a[i] = (float)em_rng_normal(&r) * 0.1f;
    int64_t sa[2] = {10, 100}, so[1] = {4};
    uint8_t m[N];
    for (int i = 0; i < N; i++) m[i] = (uint8_t)(i % 3 != 0);
    ck_assert_int_eq(nn_weights_add(w, "c.weight", NN_DT_F32, 2, sa, a, &err), 0);
    ck_assert_int_eq(nn_weights_add(w, "c.weight_mask", NN_DT_U8, 2, sa, m, &err), 0);
    ck_assert_int_eq(nn_weights_add(w, "optim.c.weight.momentum", NN_DT_F32, 1, so, opt, &err), 0);
    char full[4096], half[4096];
    snprintf(full, sizeof full, "%s/full.emw", tu_tmpdir());
    snprintf(half, sizeof half, "%s/half.emw", tu_tmpdir());
    ck_assert_int_eq(nn_weights_save(w, full, &err), 0);
    ck_assert_int_eq(nn_weights_round_half(w, &err), 0);
    ck_assert_int_eq(nn_weights_save(w, half, &err), 0);
    size_t nf, nh;
    free(slurp(full, &nf));
    free(slurp(half, &nh));
    ck_assert_msg(nh < nf && nf - nh >= 2 * N - 64, "full %zu bytes, half %zu", nf, nh);
    nn_weights *back = NULL;
    ck_assert_int_eq(nn_weights_load(half, &back, &err), 0);
    ck_assert(back->store_half);
    const nn_wtensor *t = nn_weights_find(back, "c.weight");
    ck_assert_int_eq(t->dtype, NN_DT_F32);
    const float *b = t->data;
    for (int i = 0; i < N; i++) {
        ck_assert_float_eq(b[i], em_half_to_float(em_half_from_float(a[i])));
        ck_assert(fabsf(b[i] - a[i]) <= fabsf(a[i]) * 0x1p-11f + 0x1p-25f);
    }
    t = nn_weights_find(back, "optim.c.weight.momentum");
    ck_assert(t && t->dtype == NN_DT_F32 && !memcmp(t->data, opt, sizeof opt));
    t = nn_weights_find(back, "c.weight_mask");
    ck_assert(t && t->dtype == NN_DT_U8 && !memcmp(t->data, m, sizeof m));
    nn_weights_free(back);
    nn_weights_free(w);

    /* Out of range: refused, naming the tensor, the set left as it was. */
    w = nn_weights_new();
    float big[3] = {1.0f / 3.0f, -1e5f, 2.0f};
    int64_t s3[1] = {3};
    ck_assert_int_eq(nn_weights_add(w, "fc.bias", NN_DT_F32, 1, s3, big, &err), 0);
    ck_assert_int_ne(nn_weights_round_half(w, &err), 0);
    ck_assert_msg(strstr(err.msg, "fc.bias") && strstr(err.msg, "float16"), "%s", err.msg);
    ck_assert(!w->store_half && !memcmp(nn_weights_find(w, "fc.bias")->data, big, sizeof big));
    nn_weights_free(w);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("nn_weights");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, damage_is_refused);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, net_round_trip_and_model_checks);
    tcase_add_test(tc, half_conversions);
    tcase_add_test(tc, half_storage);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
