/* fuzz/fuzz_checkpoint.c: libFuzzer target for optimizer checkpoints
 * (opt_checkpoint_read). The trailing CRC-32 is rewritten to match the input so
 * mutations reach the header and population checks behind it. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz/fuzz_util.h"
#include "opt/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) abort();
    memcpy(buf, data, size);
    if (size >= 12) fz_fix_crc32(buf, size);
    char path[4096];
    int rc = fz_write_temp(buf, size, path, sizeof path);
    free(buf);
    if (rc) abort();
    opt_checkpoint ck;
    em_error err = {0};
    if (opt_checkpoint_read(path, &ck, &err) == EM_OK) opt_checkpoint_clear(&ck);
    unlink(path);
    return 0;
}
