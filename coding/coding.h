/* coding/coding.h: weight codings (normal, COO, CSR with relative index) as real bit
 * streams, with exact and analytic sizes.
 *
 * Input is a tensor of N quantized weight codes (int32, q bits each, signed; 0 means
 * pruned). A code must satisfy |c| <= 2^(q-1) - 1, the symmetric range of the
 * quantizer convention spacing = max|w| / (2^(q-1) - 1). For q = 1 that range is {0}:
 * one sign bit and no magnitude bits, so a 1-bit layer holds only zeros (see
 * docs/coding.md). Codes are stored as q-bit two's complement.
 *
 * The three codings (sizes are of the payload, without the stream header):
 *   normal  every code, q bits each:                          N*q
 *   COO     each non-zero: value (q bits), flat index
 *           (ceil(log2 N) bits):                               nnz*(q + ceil(log2 N))
 *   CSR     Deep Compression's relative index: each non-zero stores its value and
 *           gap-1 to the previous non-zero (the first one: to position -1) in b
 *           bits. A gap larger than 2^b is bridged by zero filler entries placed
 *           every 2^b positions (value 0, stored index 2^b-1). Zeros after the last
 *           non-zero need no filler.                          (nnz + fillers)*(q+b)
 *
 * A stream is a 32-byte header (magic, version, kind, q, b, N, entry count, CRC-32 of
 * header and payload) followed by the payload, MSB-first. The decoder checks all of
 * it: a truncated or corrupt stream gives EM_EFORMAT, never a crash. The stream
 * layout is in docs/formats.md, the size formulas and their derivation in
 * docs/coding.md. */
#ifndef EMOMC_CODING_CODING_H
#define EMOMC_CODING_CODING_H

#include <stddef.h>
#include <stdint.h>
#include "../common/error.h"

typedef enum { CODING_NORMAL, CODING_COO, CODING_CSR, CODING_KIND_COUNT } coding_kind;

#define CODING_CSR_IDX_BITS_DEFAULT 3   /* b of Deep Compression and EMOMC */
#define CODING_MAX_Q 32                 /* q in [1, CODING_MAX_Q] */
#define CODING_MAX_IDX_BITS 30          /* CSR b in [1, CODING_MAX_IDX_BITS] */
#define CODING_MAX_N ((int64_t)1 << 40) /* N in [1, CODING_MAX_N] */
#define CODING_HEADER_BYTES 32

/* "normal", "coo", "csr". */
const char *coding_kind_name(coding_kind k);
/* Accepts normal|coo|csr (any case); fails with a message naming the bad value. */
int coding_kind_parse(const char *s, coding_kind *out, em_error *err);

/* Checks N, q and (for CSR) b against the limits above; names the bad parameter. */
int coding_check_params(coding_kind k, int64_t n, int q_bits, int idx_bits, em_error *err);

/* An encoded tensor: header + payload. Caller frees with coding_stream_free. */
typedef struct coding_stream {
    uint8_t *bytes;
    size_t n_bytes;        /* CODING_HEADER_BYTES + ceil(payload_bits / 8) */
    int64_t payload_bits;  /* exact encoded size of the weights, in bits */
} coding_stream;

/* What a stream's header says (filled by coding_stream_info after validation). */
typedef struct coding_info {
    coding_kind kind;
    int64_t n;             /* weights */
    int q_bits;
    int idx_bits;          /* CSR: b; COO: ceil(log2 N); normal: 0 */
    int64_t entries;       /* normal: N; COO: nnz; CSR: nnz + fillers */
    int64_t payload_bits;  /* entries * (q_bits + idx_bits) */
} coding_info;

/* Encodes codes[0..n) with q_bits per value. idx_bits is CSR's b (use
 * CODING_CSR_IDX_BITS_DEFAULT); normal and COO ignore it. Fails with EM_EINVAL on a
 * bad parameter or a code outside [-(2^(q-1)-1), 2^(q-1)-1] (naming its index).
 * On failure *out is left empty. */
int coding_encode(coding_kind kind, const int32_t *codes, int64_t n, int q_bits,
                  int idx_bits, coding_stream *out, em_error *err);

/* Validates the header (and the stream length against it) and fills *info. */
int coding_stream_info(const coding_stream *s, coding_info *info, em_error *err);

/* Restores the n codes; n must equal the stream's N. Checks the CRC and every entry
 * (indices in range and increasing, values in range, canonical fillers). On failure
 * codes_out may hold partial data. */
int coding_decode(const coding_stream *s, int32_t *codes_out, int64_t n, em_error *err);

void coding_stream_free(coding_stream *s);

/* ---- sizes ------------------------------------------------------------------- */

/* Counts of a concrete tensor: non-zeros and the CSR fillers at index width b. */
typedef struct coding_counts {
    int64_t n, nnz, fillers;
} coding_counts;

/* From codes (non-zero = kept) or from a mask (non-zero byte = kept). idx_bits is the
 * CSR b used for the filler count (1..CODING_MAX_IDX_BITS). */
void coding_count_codes(const int32_t *codes, int64_t n, int idx_bits, coding_counts *out);
void coding_count_mask(const uint8_t *mask, int64_t n, int idx_bits, coding_counts *out);

/* ceil(log2 n): the COO index width (0 for n = 1). */
int coding_coo_index_bits(int64_t n);

/* Exact payload size in bits of a tensor with these counts: normal N*q, COO
 * nnz*(q + ceil(log2 N)), CSR (nnz + fillers)*(q + b). Equals the payload_bits of
 * coding_encode on the same tensor. Returns -1 on a bad parameter. */
int64_t coding_size_bits_exact(coding_kind kind, const coding_counts *c, int q_bits,
                               int idx_bits);

/* Expected number of CSR fillers when each of n weights is kept independently with
 * probability p (Bernoulli mask), index width b, B = 2^b:
 *     E[fillers] = p * sum_{k=1..floor(n/B)} (n - k*B) * (1-p)^(k*B)
 * (derivation in docs/coding.md). Returns -1 on a bad parameter. */
double coding_csr_fillers_expected(int64_t n, double p, int idx_bits);

/* Expected payload size under the same Bernoulli(p) mask: normal n*q, COO
 * p*n*(q + ceil(log2 n)), CSR (p*n + E[fillers])*(q+b). Returns -1 on a bad
 * parameter. */
double coding_size_bits_expected(coding_kind kind, int64_t n, double p, int q_bits,
                                 int idx_bits);

/* The EMOMC paper's public-code formulas (DESIGN.md 3.1), kept apart from the
 * formulas above because they are approximations: normal n*q, CSR n*rint(q+3)*p,
 * COO n*rint(q + log2 n)*p (log2 not rounded up; no fillers). Returns -1 on a bad
 * parameter. */
double coding_size_bits_emomc2021(coding_kind kind, int64_t n, double p, int q_bits);

#endif
