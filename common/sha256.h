/* common/sha256.h: SHA-256 (FIPS 180-4), for content keys such as the evaluation
 * store's (a weights file, an image set). Not for secrets: no constant-time claims. */
#ifndef EMOMC_COMMON_SHA256_H
#define EMOMC_COMMON_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct em_sha256 {
    uint32_t h[8];
    uint64_t len;        /* bytes so far */
    uint8_t buf[64];
    size_t fill;
} em_sha256;

void em_sha256_init(em_sha256 *s);
void em_sha256_update(em_sha256 *s, const void *data, size_t n);
/* The digest as 64 lowercase hex digits and a NUL. */
void em_sha256_hex(em_sha256 *s, char out[65]);
/* The digest of a whole file's bytes; -1 (errno set) when it cannot be read. */
int em_sha256_file(const char *path, char out[65]);

#endif
