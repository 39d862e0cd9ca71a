/* tests/test_coding.c: weight codings. Oracles: hand-encoded bit strings (the paper's
 * CSR example and a filler case), a brute-force filler counter written independently
 * of the library, exhaustive enumeration of all masks for the expected-size formula,
 * Monte Carlo means, the DESIGN.md section 10 size numbers, and single-bit corruption. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "coding/coding.h"
#include "common/rng.h"
#include "tests/testutil.h"

/* ---- helpers ------------------------------------------------------------------- */

/* Fillers by direct simulation of the decoder's walk: the last entry sits at `last`;
 * a zero at i becomes a filler when i - last == 2^b and a non-zero follows. */
static int64_t brute_fillers(const int32_t *c, int64_t n, int b)
{
    int64_t last_nz = -1;
    for (int64_t i = 0; i < n; i++)
        if (c[i]) last_nz = i;
    int64_t last = -1, f = 0;
    for (int64_t i = 0; i < last_nz; i++) {
        if (c[i]) last = i;
        else if (i - last == ((int64_t)1 << b)) { f++; last = i; }
    }
    return f;
}

static int64_t brute_nnz(const int32_t *c, int64_t n)
{
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) k += c[i] != 0;
    return k;
}

static int brute_log2ceil(int64_t n)
{
    int k = 0;
    while ((1LL << k) < n) k++;
    return k;
}

/* Payload size computed from first principles. */
static int64_t oracle_bits(coding_kind k, const int32_t *c, int64_t n, int q, int b)
{
    if (k == CODING_NORMAL) return n * q;
    if (k == CODING_COO) return brute_nnz(c, n) * (q + brute_log2ceil(n));
    return (brute_nnz(c, n) + brute_fillers(c, n, b)) * (q + b);
}

/* Random codes: each non-zero with probability p, values uniform in the q-bit range
 * excluding zero. q = 1 has no non-zero codes. */
static void random_codes(em_rng *r, int32_t *c, int64_t n, int q, double p)
{
    int32_t m = (int32_t)((1LL << (q - 1)) - 1);
    for (int64_t i = 0; i < n; i++) {
        c[i] = 0;
        if (m > 0 && em_rng_uniform(r) < p) {
            int32_t v = 1 + (int32_t)em_rng_below(r, (uint64_t)m);
            c[i] = em_rng_below(r, 2) ? v : -v;
        }
    }
}

static void round_trip(coding_kind k, const int32_t *c, int64_t n, int q, int b)
{
    coding_stream s;
    em_error err = {0};
    int rc = coding_encode(k, c, n, q, b, &s, &err);
    ck_assert_msg(rc == 0, "%s q=%d b=%d n=%lld: %s", coding_kind_name(k), q, b,
                  (long long)n, err.msg);
    int64_t want = oracle_bits(k, c, n, q, b);
    ck_assert_msg(s.payload_bits == want, "%s q=%d b=%d n=%lld: %lld bits, oracle %lld",
                  coding_kind_name(k), q, b, (long long)n, (long long)s.payload_bits,
                  (long long)want);
    ck_assert_int_eq(s.n_bytes, CODING_HEADER_BYTES + (size_t)((want + 7) / 8));
    coding_counts cnt;
    coding_count_codes(c, n, b, &cnt);
    ck_assert_int_eq(coding_size_bits_exact(k, &cnt, q, b), want);

    int32_t *back = malloc((size_t)n * sizeof *back);
    rc = coding_decode(&s, back, n, &err);
    ck_assert_msg(rc == 0, "%s q=%d n=%lld: %s", coding_kind_name(k), q, (long long)n, err.msg);
    ck_assert_msg(memcmp(back, c, (size_t)n * sizeof *c) == 0, "%s q=%d b=%d n=%lld differs",
                  coding_kind_name(k), q, b, (long long)n);
    coding_info info;
    ck_assert_int_eq(coding_stream_info(&s, &info, &err), 0);
    ck_assert_int_eq(info.kind, k);
    ck_assert_int_eq(info.n, n);
    ck_assert_int_eq(info.q_bits, q);
    ck_assert_int_eq(info.payload_bits, want);
    free(back);
    coding_stream_free(&s);
}

/* ---- hand cases ---------------------------------------------------------------- */

START_TEST(paper_csr_example)
{
    /* 8 weights, 3 non-zeros at positions 1, 4, 7. Relative index = gap - 1: the first
     * (gap 2 from the virtual start -1) stores 1, the next two are 3 slots after their
     * predecessor and store 2. q = 4, b = 3, entries of 7 bits, MSB first:
     *   5 -> 0101 001,  -3 -> 1101 010,  7 -> 0111 010,  3 zero pad bits
     *   01010011 10101001 11010000 = 53 A9 D0 */
    const int32_t w[8] = {0, 5, 0, 0, -3, 0, 0, 7};
    coding_stream s;
    em_error err = {0};
    ck_assert_int_eq(coding_encode(CODING_CSR, w, 8, 4, 3, &s, &err), 0);
    ck_assert_int_eq(s.payload_bits, 21);
    ck_assert_int_eq(s.n_bytes, CODING_HEADER_BYTES + 3);
    const uint8_t want[3] = {0x53, 0xA9, 0xD0};
    ck_assert_mem_eq(s.bytes + CODING_HEADER_BYTES, want, 3);
    int32_t back[8];
    ck_assert_int_eq(coding_decode(&s, back, 8, &err), 0);
    ck_assert_mem_eq(back, w, sizeof w);
    coding_stream_free(&s);

    coding_counts c;
    coding_count_codes(w, 8, 3, &c);
    ck_assert_int_eq(c.nnz, 3);
    ck_assert_int_eq(c.fillers, 0);
    ck_assert_int_eq(coding_size_bits_exact(CODING_CSR, &c, 4, 3), 21);
}
END_TEST

START_TEST(csr_fillers_by_hand)
{
    /* b = 2 (gaps up to 4). Non-zeros at 0 and 9: the second is 9 slots after the
     * first, so fillers sit at 4 and 8 (each 4 slots on, stored index 3), then the
     * non-zero at 9 stores index 0. q = 3:
     *   1 -> 001 00, filler 000 11, filler 000 11, -1 -> 111 00
     *   00100000 11000111 1100(0000) = 20 C7 C0 */
    const int32_t w[12] = {1, 0, 0, 0, 0, 0, 0, 0, 0, -1, 0, 0};
    coding_stream s;
    em_error err = {0};
    ck_assert_int_eq(coding_encode(CODING_CSR, w, 12, 3, 2, &s, &err), 0);
    ck_assert_int_eq(s.payload_bits, 20);
    const uint8_t want[3] = {0x20, 0xC7, 0xC0};
    ck_assert_mem_eq(s.bytes + CODING_HEADER_BYTES, want, 3);
    int32_t back[12];
    ck_assert_int_eq(coding_decode(&s, back, 12, &err), 0);
    ck_assert_mem_eq(back, w, sizeof w);
    coding_stream_free(&s);

    /* COO of the same tensor: ceil(log2 12) = 4 index bits after each 3-bit value:
     * 001 0000, 111 1001 -> 00100001 111001(00) = 21 E4 */
    ck_assert_int_eq(coding_encode(CODING_COO, w, 12, 3, 0, &s, &err), 0);
    ck_assert_int_eq(s.payload_bits, 14);
    const uint8_t want_coo[2] = {0x21, 0xE4};
    ck_assert_mem_eq(s.bytes + CODING_HEADER_BYTES, want_coo, 2);
    coding_stream_free(&s);

    /* normal, q = 2: codes 1, 0 x8, -1, 0, 0 -> 01 00 00 00 | 00 00 00 00 | 00 11 00 00 */
    const int32_t w2[12] = {1, 0, 0, 0, 0, 0, 0, 0, 0, -1, 0, 0};
    ck_assert_int_eq(coding_encode(CODING_NORMAL, w2, 12, 2, 0, &s, &err), 0);
    ck_assert_int_eq(s.payload_bits, 24);
    const uint8_t want_n[3] = {0x40, 0x00, 0x30};
    ck_assert_mem_eq(s.bytes + CODING_HEADER_BYTES, want_n, 3);
    coding_stream_free(&s);
}
END_TEST

/* ---- round trips --------------------------------------------------------------- */

START_TEST(round_trips_random)
{
    em_rng r;
    em_rng_seed(&r, 12345);
    const int64_t sizes[] = {1, 2, 7, 100, 1001, 4099};
    const double ps[] = {0.0, 0.03, 0.3, 0.7, 1.0};
    int32_t *c = malloc(4099 * sizeof *c);
    for (int q = 1; q <= 23; q++)
        for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
            for (size_t pi = 0; pi < sizeof ps / sizeof *ps; pi++) {
                random_codes(&r, c, sizes[si], q, ps[pi]);
                round_trip(CODING_NORMAL, c, sizes[si], q, 0);
                round_trip(CODING_COO, c, sizes[si], q, 0);
                round_trip(CODING_CSR, c, sizes[si], q, 1 + (q + (int)si) % 5);
                round_trip(CODING_CSR, c, sizes[si], q, CODING_CSR_IDX_BITS_DEFAULT);
            }
    /* q = 32: the full int32 symmetric range. */
    random_codes(&r, c, 1001, 32, 0.5);
    c[3] = INT32_MAX;
    c[5] = -INT32_MAX;
    for (int k = 0; k < CODING_KIND_COUNT; k++) round_trip((coding_kind)k, c, 1001, 32, 3);
    free(c);
}
END_TEST

START_TEST(round_trips_special)
{
    enum { N = 5000 };
    int32_t *c = calloc(N, sizeof *c);
    /* all zero */
    for (int k = 0; k < CODING_KIND_COUNT; k++) round_trip((coding_kind)k, c, N, 8, 3);
    coding_stream s;
    em_error err = {0};
    ck_assert_int_eq(coding_encode(CODING_CSR, c, N, 8, 3, &s, &err), 0);
    ck_assert_int_eq(s.payload_bits, 0); /* trailing zeros need no filler */
    coding_stream_free(&s);
    /* no zeros */
    for (int i = 0; i < N; i++) c[i] = (i % 2 ? 1 : -1) * (1 + i % 100);
    for (int k = 0; k < CODING_KIND_COUNT; k++) round_trip((coding_kind)k, c, N, 8, 3);
    ck_assert_int_eq(coding_encode(CODING_CSR, c, N, 8, 3, &s, &err), 0);
    ck_assert_int_eq(s.payload_bits, (int64_t)N * 11);
    coding_stream_free(&s);
    /* one non-zero at the very end: gap N, (N-1) >> 3 = 624 fillers */
    memset(c, 0, N * sizeof *c);
    c[N - 1] = -5;
    round_trip(CODING_CSR, c, N, 8, 3);
    coding_counts cnt;
    coding_count_codes(c, N, 3, &cnt);
    ck_assert_int_eq(cnt.fillers, 624);
    ck_assert_int_eq(coding_size_bits_exact(CODING_CSR, &cnt, 8, 3), 625 * 11);
    /* gaps of exactly 2^b (no filler) and 2^b + 1 (one filler) */
    memset(c, 0, N * sizeof *c);
    c[7] = 1;   /* gap 8 from -1 */
    c[15] = 2;  /* gap 8 */
    c[24] = 3;  /* gap 9 -> one filler at 23 */
    coding_count_codes(c, N, 3, &cnt);
    ck_assert_int_eq(cnt.fillers, 1);
    round_trip(CODING_CSR, c, N, 8, 3);
    round_trip(CODING_CSR, c, N, 8, 1);
    /* long gaps at b = 1: every second slot is a filler */
    coding_count_codes(c, N, 1, &cnt);
    ck_assert_int_eq(cnt.fillers, brute_fillers(c, N, 1));
    ck_assert_int_eq(cnt.fillers, 3 + 3 + 4);
    /* N = 1 */
    int32_t one = 0;
    for (int k = 0; k < CODING_KIND_COUNT; k++) round_trip((coding_kind)k, &one, 1, 5, 3);
    one = -15;
    for (int k = 0; k < CODING_KIND_COUNT; k++) round_trip((coding_kind)k, &one, 1, 5, 3);
    ck_assert_int_eq(coding_coo_index_bits(1), 0);
    ck_assert_int_eq(coding_encode(CODING_COO, &one, 1, 5, 3, &s, &err), 0);
    ck_assert_int_eq(s.payload_bits, 5);
    coding_stream_free(&s);
    /* masks count like codes */
    uint8_t *m = malloc(N);
    em_rng r;
    em_rng_seed(&r, 7);
    random_codes(&r, c, N, 6, 0.2);
    for (int i = 0; i < N; i++) m[i] = c[i] != 0;
    coding_counts a, b;
    coding_count_codes(c, N, 2, &a);
    coding_count_mask(m, N, 2, &b);
    ck_assert_int_eq(a.nnz, b.nnz);
    ck_assert_int_eq(a.fillers, b.fillers);
    ck_assert_int_eq(a.fillers, brute_fillers(c, N, 2));
    free(m);
    free(c);
}
END_TEST

START_TEST(q1_holds_only_zero)
{
    /* q = 1: one sign bit, no magnitude bits, so the only code is 0 (docs/coding.md). */
    int32_t c[4] = {0, 0, 0, 0};
    for (int k = 0; k < CODING_KIND_COUNT; k++) round_trip((coding_kind)k, c, 4, 1, 3);
    c[2] = 1;
    coding_stream s;
    em_error err = {0};
    ck_assert_int_eq(coding_encode(CODING_NORMAL, c, 4, 1, 3, &s, &err), EM_EINVAL);
    ck_assert_ptr_null(s.bytes);
    ck_assert_msg(strstr(err.msg, "weight 2 has code 1") != NULL, "%s", err.msg);
    /* q = 4 allows [-7, 7]; -8 (representable in two's complement) is refused */
    int32_t d[3] = {7, -7, -8};
    ck_assert_int_eq(coding_encode(CODING_COO, d, 3, 4, 3, &s, &err), EM_EINVAL);
    ck_assert_msg(strstr(err.msg, "weight 2 has code -8") != NULL, "%s", err.msg);
    round_trip(CODING_CSR, d, 2, 4, 3);
}
END_TEST

/* ---- sizes --------------------------------------------------------------------- */

START_TEST(emomc2021_sizes)
{
    /* DESIGN.md section 10: conv layer with 72 weights, q = 8. */
    ck_assert_close(coding_size_bits_emomc2021(CODING_NORMAL, 72, 1.0, 8), 576, 0, 1e-9);
    ck_assert_close(coding_size_bits_emomc2021(CODING_NORMAL, 72, 0.5, 8), 576, 0, 1e-9);
    ck_assert_close(coding_size_bits_emomc2021(CODING_CSR, 72, 1.0, 8), 792, 0, 1e-9);
    ck_assert_close(coding_size_bits_emomc2021(CODING_CSR, 72, 0.5, 8), 396, 0, 1e-9);
    ck_assert_close(coding_size_bits_emomc2021(CODING_COO, 72, 1.0, 8), 1008, 0, 1e-9);
    ck_assert_close(coding_size_bits_emomc2021(CODING_COO, 72, 0.5, 8), 504, 0, 1e-9);
    /* rint rounds half to even as numpy does: log2(2^k * sqrt 2) = k + 0.5 is not
     * exact in binary, so take q + log2 N = 4 + 3 = 7 exactly and one just below
     * and above a half: N = 11 (log2 = 3.459 -> 7), N = 12 (3.585 -> 8). */
    ck_assert_close(coding_size_bits_emomc2021(CODING_COO, 8, 1.0, 4), 8 * 7, 0, 1e-9);
    ck_assert_close(coding_size_bits_emomc2021(CODING_COO, 11, 1.0, 4), 11 * 7, 0, 1e-9);
    ck_assert_close(coding_size_bits_emomc2021(CODING_COO, 12, 1.0, 4), 12 * 8, 0, 1e-9);
    /* The exact analytic COO rounds the index up instead: 72 weights need 7 bits. */
    coding_counts c = {72, 72, 0};
    ck_assert_int_eq(coding_size_bits_exact(CODING_COO, &c, 8, 3), 72 * 15);
    ck_assert_int_eq(coding_size_bits_exact(CODING_CSR, &c, 8, 3), 792);
    ck_assert_int_eq(coding_size_bits_exact(CODING_NORMAL, &c, 8, 3), 576);
    /* bad parameters */
    ck_assert_int_lt(coding_size_bits_emomc2021(CODING_CSR, 72, 1.5, 8), 0);
    ck_assert_int_lt(coding_size_bits_emomc2021(CODING_CSR, 0, 0.5, 8), 0);
    ck_assert_int_lt(coding_size_bits_exact(CODING_CSR, &c, 0, 3), 0);
    ck_assert_int_lt(coding_size_bits_exact(CODING_CSR, &c, 8, 0), 0);
    ck_assert_int_lt(coding_size_bits_expected(CODING_CSR, 72, -0.1, 8, 3), 0);
}
END_TEST

/* Exact expectation of the filler count by enumerating all 2^n masks. */
static double enumerate_fillers(int n, double p, int b)
{
    double e = 0;
    int32_t c[20];
    for (uint32_t m = 0; m < (1u << n); m++) {
        double pr = 1;
        for (int i = 0; i < n; i++) {
            c[i] = (m >> i) & 1;
            pr *= c[i] ? p : 1 - p;
        }
        e += pr * (double)brute_fillers(c, n, b);
    }
    return e;
}

START_TEST(expected_fillers_exact_enumeration)
{
    const int ns[] = {1, 4, 5, 9, 13, 16};
    const double ps[] = {0.05, 0.2, 0.5, 0.9};
    for (size_t i = 0; i < sizeof ns / sizeof *ns; i++)
        for (size_t j = 0; j < sizeof ps / sizeof *ps; j++)
            for (int b = 1; b <= 3; b++) {
                double want = enumerate_fillers(ns[i], ps[j], b);
                double got = coding_csr_fillers_expected(ns[i], ps[j], b);
                ck_assert_msg(fabs(got - want) <= 1e-12 * (1 + want),
                              "n=%d p=%g b=%d: %.15g vs enumeration %.15g", ns[i], ps[j], b,
                              got, want);
            }
    ck_assert_close(coding_csr_fillers_expected(1000, 0.0, 3), 0, 0, 0);
    ck_assert_close(coding_csr_fillers_expected(1000, 1.0, 3), 0, 0, 0);
}
END_TEST

START_TEST(expected_size_monte_carlo)
{
    /* Mean exact CSR size over random Bernoulli(p) masks against the formula. The
     * tolerance is 4 standard errors of the sample mean (a false alarm about once in
     * 16,000 comparisons; the seed is fixed, so the test is deterministic). */
    enum { N = 2000, TRIALS = 1500 };
    em_rng r;
    em_rng_seed(&r, 2021);
    uint8_t *m = malloc(N);
    const double ps[] = {0.02, 0.1, 0.3, 0.5, 0.8};
    for (int b = 2; b <= 4; b++)
        for (size_t j = 0; j < sizeof ps / sizeof *ps; j++) {
            double s = 0, s2 = 0;
            for (int t = 0; t < TRIALS; t++) {
                for (int i = 0; i < N; i++) m[i] = em_rng_uniform(&r) < ps[j];
                coding_counts c;
                coding_count_mask(m, N, b, &c);
                double bits = (double)coding_size_bits_exact(CODING_CSR, &c, 8, b);
                s += bits;
                s2 += bits * bits;
            }
            double mean = s / TRIALS, var = (s2 - s * mean) / (TRIALS - 1);
            double se = sqrt(var / TRIALS);
            double want = coding_size_bits_expected(CODING_CSR, N, ps[j], 8, b);
            ck_assert_msg(fabs(mean - want) <= 4 * se + 1e-9,
                          "b=%d p=%g: mean %.3f vs expected %.3f (se %.3f)", b, ps[j], mean,
                          want, se);
        }
    /* Pruning with an exact kept count rint(pN) (as compress/ does) instead of a
     * Bernoulli mask: the formula stays within 4 standard errors + 1 filler. */
    uint32_t *idx = malloc(N * sizeof *idx);
    const int keep = 200; /* p = 0.1 */
    double s = 0, s2 = 0;
    for (int t = 0; t < TRIALS; t++) {
        for (uint32_t i = 0; i < N; i++) idx[i] = i;
        em_rng_shuffle_u32(&r, idx, N);
        memset(m, 0, N);
        for (int i = 0; i < keep; i++) m[idx[i]] = 1;
        coding_counts c;
        coding_count_mask(m, N, 3, &c);
        s += (double)c.fillers;
        s2 += (double)c.fillers * (double)c.fillers;
    }
    double mean = s / TRIALS, se = sqrt((s2 - s * mean) / (TRIALS - 1) / TRIALS);
    double want = coding_csr_fillers_expected(N, 0.1, 3);
    ck_assert_msg(fabs(mean - want) <= 4 * se + 1, "fixed count: mean %.3f vs %.3f (se %.3f)",
                  mean, want, se);
    free(idx);
    free(m);
    /* normal and COO expectations are linear in p */
    ck_assert_close(coding_size_bits_expected(CODING_NORMAL, 1000, 0.3, 8, 3), 8000, 0, 1e-9);
    ck_assert_close(coding_size_bits_expected(CODING_COO, 1000, 0.3, 8, 3), 0.3 * 1000 * 18,
                    1e-12, 0);
    ck_assert_close(coding_size_bits_expected(CODING_CSR, 1000, 1.0, 8, 3), 11000, 0, 1e-9);
}
END_TEST

START_TEST(expected_fillers_large_n)
{
    /* Large layers use a closed form of the sum; compare it with the plain sum
     * (long double) across the whole range of p, including tiny ones. */
    const int64_t ns[] = {8200, 2359296, 100000007};
    const double ps[] = {1e-7, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 0.5, 0.95};
    for (size_t a = 0; a < sizeof ns / sizeof *ns; a++)
        for (size_t j = 0; j < sizeof ps / sizeof *ps; j++)
            for (int b = 1; b <= 5; b += 2) {
                int64_t n = ns[a], B = (int64_t)1 << b, K = n / B;
                long double r = powl(1.0L - ps[j], (long double)B), rk = 1, sum = 0;
                for (int64_t k = 1; k <= K && (k < 64 || rk > 1e-30L); k++) {
                    rk *= r;
                    sum += (long double)(n - k * B) * rk;
                }
                double want = (double)(ps[j] * sum);
                double got = coding_csr_fillers_expected(n, ps[j], b);
                ck_assert_msg(fabs(got - want) <= 1e-9 * want + 1e-12,
                              "n=%lld p=%g b=%d: %.15g vs plain sum %.15g", (long long)n,
                              ps[j], b, got, want);
            }
    /* At small p nearly every gap is long: fillers -> n/B minus the final run. */
    const int64_t n = 2359296;
    double f = coding_csr_fillers_expected(n, 1e-4, 3);
    ck_assert_double_gt(f, 0.9 * (double)n / 8);
    ck_assert_double_lt(f, (double)n / 8);
}
END_TEST

/* ---- bad input ----------------------------------------------------------------- */

START_TEST(bad_params)
{
    int32_t c[4] = {1, 0, 2, 0};
    coding_stream s;
    em_error err = {0};
    ck_assert_int_eq(coding_encode(CODING_CSR, c, 4, 0, 3, &s, &err), EM_EINVAL);
    ck_assert_msg(strstr(err.msg, "bit width q = 0") != NULL, "%s", err.msg);
    ck_assert_int_eq(coding_encode(CODING_CSR, c, 4, 33, 3, &s, &err), EM_EINVAL);
    ck_assert_int_eq(coding_encode(CODING_CSR, c, 4, 8, 0, &s, &err), EM_EINVAL);
    ck_assert_msg(strstr(err.msg, "index width b = 0") != NULL, "%s", err.msg);
    ck_assert_int_eq(coding_encode(CODING_CSR, c, 0, 8, 3, &s, &err), EM_EINVAL);
    ck_assert_msg(strstr(err.msg, "weight count 0") != NULL, "%s", err.msg);
    ck_assert_int_eq(coding_encode((coding_kind)7, c, 4, 8, 3, &s, &err), EM_EINVAL);
    /* b is ignored by normal and COO */
    ck_assert_int_eq(coding_encode(CODING_COO, c, 4, 8, 0, &s, &err), 0);
    coding_stream_free(&s);

    coding_kind k;
    ck_assert_int_eq(coding_kind_parse("CSR", &k, &err), 0);
    ck_assert_int_eq(k, CODING_CSR);
    ck_assert_int_eq(coding_kind_parse("coo", &k, &err), 0);
    ck_assert_int_eq(k, CODING_COO);
    ck_assert_int_eq(coding_kind_parse("normal", &k, &err), 0);
    ck_assert_int_eq(k, CODING_NORMAL);
    ck_assert_int_eq(coding_kind_parse("csc", &k, &err), EM_EINVAL);
    ck_assert_msg(strstr(err.msg, "unknown coding 'csc'") != NULL, "%s", err.msg);
    ck_assert_str_eq(coding_kind_name(CODING_COO), "coo");
}
END_TEST

static int decode_status(const uint8_t *bytes, size_t n_bytes, int64_t n, em_error *err)
{
    coding_stream s = {(uint8_t *)bytes, n_bytes, 0};
    int32_t *out = malloc((size_t)(n > 0 ? n : 1) * sizeof *out);
    int rc = coding_decode(&s, out, n, err);
    free(out);
    return rc;
}

START_TEST(corrupt_and_truncated_streams)
{
    em_rng r;
    em_rng_seed(&r, 99);
    int32_t c[300];
    random_codes(&r, c, 300, 6, 0.1);
    for (int k = 0; k < CODING_KIND_COUNT; k++) {
        coding_stream s;
        em_error err = {0};
        ck_assert_int_eq(coding_encode((coding_kind)k, c, 300, 6, 2, &s, &err), 0);
        uint8_t *copy = malloc(s.n_bytes + 1);
        /* every truncation */
        for (size_t len = 0; len < s.n_bytes; len++) {
            memcpy(copy, s.bytes, len);
            ck_assert_int_eq(decode_status(copy, len, 300, &err), EM_EFORMAT);
        }
        /* trailing byte */
        memcpy(copy, s.bytes, s.n_bytes);
        copy[s.n_bytes] = 0;
        ck_assert_int_eq(decode_status(copy, s.n_bytes + 1, 300, &err), EM_EFORMAT);
        ck_assert_msg(strstr(err.msg, "trailing data") != NULL, "%s", err.msg);
        /* every single-bit flip */
        for (size_t bit = 0; bit < 8 * s.n_bytes; bit++) {
            memcpy(copy, s.bytes, s.n_bytes);
            copy[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
            int rc = decode_status(copy, s.n_bytes, 300, &err);
            ck_assert_msg(rc == EM_EFORMAT, "%s: flip of bit %zu gives %d",
                          coding_kind_name((coding_kind)k), bit, rc);
        }
        /* wrong caller size */
        ck_assert_int_eq(decode_status(s.bytes, s.n_bytes, 299, &err), EM_EINVAL);
        ck_assert_msg(strstr(err.msg, "holds 300 weights") != NULL, "%s", err.msg);
        free(copy);
        coding_stream_free(&s);
    }
    em_error err = {0};
    coding_stream empty = {NULL, 0, 0};
    int32_t out[1];
    ck_assert_int_eq(coding_decode(&empty, out, 1, &err), EM_EFORMAT);
    ck_assert_msg(strstr(err.msg, "truncated header") != NULL, "%s", err.msg);
}
END_TEST

/* Builds a stream by hand, following the layout in docs/formats.md, with a valid
 * CRC, so the decoder's structural checks (not the checksum) must catch it. */
static size_t forge(uint8_t *buf, int kind, int q, int b, uint64_t n, uint64_t entries,
                    const uint8_t *payload, size_t payload_bytes)
{
    memset(buf, 0, CODING_HEADER_BYTES);
    memcpy(buf, "EMWC", 4);
    buf[4] = 1;
    buf[5] = (uint8_t)kind;
    buf[6] = (uint8_t)q;
    buf[7] = (uint8_t)b;
    for (int i = 0; i < 8; i++) buf[8 + i] = (uint8_t)(n >> (8 * i));
    for (int i = 0; i < 8; i++) buf[16 + i] = (uint8_t)(entries >> (8 * i));
    memcpy(buf + CODING_HEADER_BYTES, payload, payload_bytes);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, buf, 24);
    crc = crc32(crc, buf + CODING_HEADER_BYTES, (uInt)payload_bytes);
    for (int i = 0; i < 4; i++) buf[24 + i] = (uint8_t)(crc >> (8 * i));
    return CODING_HEADER_BYTES + payload_bytes;
}

START_TEST(forged_streams)
{
    uint8_t buf[64];
    em_error err = {0};
    size_t len;
    /* The paper example forged by hand decodes. */
    const uint8_t ok[3] = {0x53, 0xA9, 0xD0};
    len = forge(buf, CODING_CSR, 4, 3, 8, 3, ok, 3);
    ck_assert_int_eq(decode_status(buf, len, 8, &err), 0);
    /* CSR, q = 4, b = 2, n = 8: a trailing filler (0000 11) is not canonical. */
    const uint8_t trail[1] = {0x0C};
    len = forge(buf, CODING_CSR, 4, 2, 8, 1, trail, 1);
    ck_assert_int_eq(decode_status(buf, len, 8, &err), EM_EFORMAT);
    ck_assert_msg(strstr(err.msg, "unexpected zero value") != NULL, "%s", err.msg);
    /* CSR zero value with index 1 (not a filler) followed by 1 at +1. */
    const uint8_t badfill[2] = {0x04, 0x40}; /* 0000 01 | 0001 00 | pad */
    len = forge(buf, CODING_CSR, 4, 2, 8, 2, badfill, 2);
    ck_assert_int_eq(decode_status(buf, len, 8, &err), EM_EFORMAT);
    /* CSR running past N: n = 4, index 3 then index 3 -> positions 3 and 7. */
    const uint8_t past[2] = {0x1C, 0x70}; /* 0001 11 | 0001 11 | pad */
    len = forge(buf, CODING_CSR, 4, 2, 4, 2, past, 2);
    ck_assert_int_eq(decode_status(buf, len, 4, &err), EM_EFORMAT);
    ck_assert_msg(strstr(err.msg, "past 4 weights") != NULL, "%s", err.msg);
    /* COO, n = 16 (4 index bits), q = 4: indices 5 then 2 are out of order. */
    const uint8_t order[2] = {0x15, 0x12}; /* 0001 0101 | 0001 0010 */
    len = forge(buf, CODING_COO, 4, 4, 16, 2, order, 2);
    ck_assert_int_eq(decode_status(buf, len, 16, &err), EM_EFORMAT);
    ck_assert_msg(strstr(err.msg, "out of order") != NULL, "%s", err.msg);
    /* COO with the wrong index width for n */
    len = forge(buf, CODING_COO, 4, 3, 16, 2, order, 2);
    ck_assert_int_eq(decode_status(buf, len, 16, &err), EM_EFORMAT);
    ck_assert_msg(strstr(err.msg, "index width 3") != NULL, "%s", err.msg);
    /* normal, q = 4: value 1000 (-8) is outside [-7, 7] */
    const uint8_t neg8[1] = {0x80};
    len = forge(buf, CODING_NORMAL, 4, 0, 2, 2, neg8, 1);
    ck_assert_int_eq(decode_status(buf, len, 2, &err), EM_EFORMAT);
    ck_assert_msg(strstr(err.msg, "outside") != NULL, "%s", err.msg);
    /* non-zero padding */
    const uint8_t pad[1] = {0x05}; /* normal q=3 n=2: 000 001 | 01 */
    len = forge(buf, CODING_NORMAL, 3, 0, 2, 2, pad, 1);
    ck_assert_int_eq(decode_status(buf, len, 2, &err), EM_EFORMAT);
    ck_assert_msg(strstr(err.msg, "padding") != NULL, "%s", err.msg);
    /* more entries than weights; unknown kind; q = 0; version */
    len = forge(buf, CODING_COO, 4, 1, 2, 3, ok, 3);
    ck_assert_int_eq(decode_status(buf, len, 2, &err), EM_EFORMAT);
    len = forge(buf, 3, 4, 1, 2, 0, ok, 0);
    ck_assert_int_eq(decode_status(buf, len, 2, &err), EM_EFORMAT);
    len = forge(buf, CODING_NORMAL, 0, 0, 2, 2, ok, 0);
    ck_assert_int_eq(decode_status(buf, len, 2, &err), EM_EFORMAT);
    len = forge(buf, CODING_NORMAL, 4, 0, 2, 2, ok, 1);
    buf[4] = 2;
    ck_assert_int_eq(decode_status(buf, len, 2, &err), EM_EFORMAT);
    ck_assert_msg(strstr(err.msg, "version 2") != NULL, "%s", err.msg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("coding");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, paper_csr_example);
    tcase_add_test(tc, csr_fillers_by_hand);
    tcase_add_test(tc, round_trips_random);
    tcase_add_test(tc, round_trips_special);
    tcase_add_test(tc, q1_holds_only_zero);
    tcase_add_test(tc, emomc2021_sizes);
    tcase_add_test(tc, expected_fillers_exact_enumeration);
    tcase_add_test(tc, expected_size_monte_carlo);
    tcase_add_test(tc, expected_fillers_large_n);
    tcase_add_test(tc, bad_params);
    tcase_add_test(tc, corrupt_and_truncated_streams);
    tcase_add_test(tc, forged_streams);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
