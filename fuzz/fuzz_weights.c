/* fuzz/fuzz_weights.c: libFuzzer target for `.emw` weights files (nn_weights_parse).
 *
 * The input's size field (bytes 24..31) and trailing CRC-32 are rewritten to match
 * the input before parsing, so mutations get past the checksum into the metadata and
 * tensor table; the checks of those two fields have their own unit tests. */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_util.h"
#include "nn/weights.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) abort();
    memcpy(buf, data, size);
    if (size >= 52) {
        for (int i = 0; i < 8; i++) buf[24 + i] = (uint8_t)((uint64_t)size >> (8 * i));
        fz_fix_crc32(buf, size);
    }
    nn_weights *w = NULL;
    em_error err = {0};
    if (nn_weights_parse(buf, size, "fuzz.emw", &w, &err) == EM_OK) {
        for (int i = 0; i < w->n; i++)
            if (nn_weights_find(w, w->t[i].name) != &w->t[i]) abort();
        for (int i = 0; i < w->n_meta; i++)
            if (!nn_weights_meta(w, w->meta[i].key)) abort();
        nn_weights_free(w);
    }
    free(buf);
    return 0;
}
